/**
 * JSON records (shared by the JSON document and JSONL) and the JSON document's frame. Records
 * are the row's contract columns in order plus `fm_layers: { "<sub>": [per-layer value, ...] }`;
 * readers flatten `fm_layers` back into `fm_<sub>_<i>` columns.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { isTextColumn, layerColumn, layerColumnMatcher, type CellValue, type Row } from './columns.js';
import type { Formatter } from './formatter.js';
import type { Summary } from './summary.js';

/** A record as written to JSON: scalar columns plus the nested per-layer values. */
export type JsonRecord = Record<string, string | number | null | Record<string, (number | null)[]>>;

function jsonCell(value: CellValue | undefined, column: string): string | number | null {
  if (value === undefined || value === null) return isTextColumn(column) ? '' : null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value;
}

/**
 * The JSON object for a row: every column of `columns` that is not a per-layer column, in
 * order, then `fm_layers` gathered from the row's `fm_<sub>_<i>` cells for `subs` (null when the
 * row has none: not ok, or syn-only).
 */
export function toJsonRecord(row: Row, columns: readonly string[], subs: readonly string[]): JsonRecord {
  const record: JsonRecord = {};
  for (const column of scalarColumns(columns, subs)) record[column] = jsonCell(row[column], column);
  let layers: Record<string, (number | null)[]> | null = null;
  for (const sub of subs) {
    const values: (number | null)[] = [];
    for (let i = 0; Object.prototype.hasOwnProperty.call(row, layerName(sub, i)); i++) {
      const value = row[layerName(sub, i)];
      values.push(typeof value === 'number' && Number.isFinite(value) ? value : null);
    }
    if (values.length > 0) (layers ??= {})[sub] = values;
  }
  record['fm_layers'] = layers;
  return record;
}

/** The columns of `columns` that are not per-layer, worked out once per column list (a writer's). */
const scalarCache = new WeakMap<readonly string[], { subs: readonly string[]; length: number; scalars: string[] }>();
function scalarColumns(columns: readonly string[], subs: readonly string[]): string[] {
  const cached = scalarCache.get(columns);
  if (cached && cached.subs === subs && cached.length === columns.length) return cached.scalars;
  const isLayer = layerColumnMatcher(subs);
  const scalars = columns.filter((column) => !isLayer(column));
  scalarCache.set(columns, { subs, length: columns.length, scalars });
  return scalars;
}

/**
 * Accumulates the column list of records read from JSON in order of first appearance, with
 * `fm_layers` expanded into its flat per-layer columns where it appears.
 */
export class ColumnCollector {
  private readonly seen = new Set<string>();
  readonly columns: string[] = [];

  add(column: string): void {
    if (this.seen.has(column)) return;
    this.seen.add(column);
    this.columns.push(column);
  }

  /** Per sub, how many of its `fm_<sub>_<i>` columns are known (so most records add none). */
  private readonly layerCounts = new Map<string, number>();

  /** Adds `fm_<sub>_0` … `fm_<sub>_<count-1>`, in order: the same as adding each one. */
  addLayers(sub: string, count: number): void {
    const known = this.layerCounts.get(sub) ?? 0;
    if (count <= known) return;
    for (let i = known; i < count; i++) this.add(layerName(sub, i));
    this.layerCounts.set(sub, count);
  }
}

/** `fm_<sub>_<i>` names, made once per sub: a million records would otherwise build them a million times. */
const layerNames = new Map<string, string[]>();
function layerName(sub: string, i: number): string {
  let names = layerNames.get(sub);
  if (!names) {
    names = [];
    if (layerNames.size < 256) layerNames.set(sub, names);
  }
  return (names[i] ??= layerColumn(sub, i));
}

/**
 * A file record as parsed from JSON and checked by `checkJsonRecord`, left as it was read: its
 * scalar columns are cells (text may be null, read as empty), and the per-layer values stay
 * nested in `fm_layers`. Reading a `fm_<sub>_<i>` column goes through `leanCell`.
 */
export type LeanRow = Row & { readonly __lean?: never };

/**
 * Checks one parsed JSON record (an object; text columns strings or null; numeric columns
 * finite numbers or null; `fm_layers` an object of arrays of numbers or null) and adds its
 * columns to `collector`, `fm_layers` expanded into `fm_<sub>_<i>`. With `row` it also copies
 * every cell into it, flat; without it the record is only checked, which is what a reader that
 * needs a few columns of each of a million records can afford (see `LeanRow`).
 */
function walkJsonRecord(value: unknown, where: string | (() => string), collector: ColumnCollector, row: Record<string, CellValue> | null): void {
  const at = (): string => (typeof where === 'string' ? where : where());
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${at()}: expected a JSON object for a file record`);
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const cell = record[key];
    if (key === 'fm_layers') {
      if (cell === null || cell === undefined) continue;
      if (typeof cell !== 'object' || Array.isArray(cell)) throw new UsageError(`${at()}: "fm_layers" must be an object of arrays`);
      const subs = cell as Record<string, unknown>;
      for (const sub in subs) {
        const layers = subs[sub];
        if (!Array.isArray(layers)) throw new UsageError(`${at()}: "fm_layers.${sub}" must be an array of numbers`);
        for (let i = 0; i < layers.length; i++) {
          const layerValue: unknown = layers[i];
          if (layerValue !== null && (typeof layerValue !== 'number' || !Number.isFinite(layerValue))) {
            throw new UsageError(`${at()}: "fm_layers.${sub}[${i}]" must be a number or null`);
          }
          if (row) row[layerName(sub, i)] = layerValue as number | null;
        }
        collector.addLayers(sub, layers.length);
      }
      continue;
    }
    if (isTextColumn(key)) {
      if (cell !== null && typeof cell !== 'string') throw new UsageError(`${at()}: "${key}" must be a string`);
      if (row) row[key] = cell ?? '';
    } else {
      if (cell !== null && (typeof cell !== 'number' || !Number.isFinite(cell))) {
        throw new UsageError(`${at()}: "${key}" must be a number or null, got ${JSON.stringify(cell)}`);
      }
      if (row) row[key] = cell;
    }
    collector.add(key);
  }
}

/** A row from one parsed JSON record; `where` names the record in error messages (made only when needed). */
export function rowFromJsonRecord(value: unknown, where: string | (() => string), collector: ColumnCollector): Row {
  const row: Record<string, CellValue> = {};
  walkJsonRecord(value, where, collector, row);
  return row;
}

/**
 * The record itself once checked, as a `LeanRow`: the same checks and columns as
 * `rowFromJsonRecord`, without building a row of a hundred-odd cells (most of a record is its
 * per-layer values, which the passes that only key, count or compare records never read).
 */
export function checkJsonRecord(value: unknown, where: string | (() => string), collector: ColumnCollector): LeanRow {
  walkJsonRecord(value, where, collector, null);
  return value as LeanRow;
}

/** `fm_<sub>_<i>` split into its sub and layer, cached per column name. */
const layerParts = new Map<string, { sub: string; layer: number } | null>();
function layerOf(column: string): { sub: string; layer: number } | null {
  let parts = layerParts.get(column);
  if (parts === undefined) {
    const match = /^fm_(.+)_(\d+)$/.exec(column);
    parts = match ? { sub: match[1]!, layer: Number(match[2]) } : null;
    if (layerParts.size < 4096) layerParts.set(column, parts);
  }
  return parts;
}

/** A cell of a row, flat or lean: a lean row's `fm_<sub>_<i>` comes from its nested `fm_layers`. */
export function leanCell(row: Row, column: string): CellValue | undefined {
  const value = row[column];
  if (value !== undefined || column === 'fm_layers') return column === 'fm_layers' ? undefined : value;
  const layers = (row as Record<string, unknown>)['fm_layers'];
  if (typeof layers !== 'object' || layers === null) return undefined;
  const parts = layerOf(column);
  if (!parts) return undefined;
  const values = (layers as Record<string, unknown>)[parts.sub];
  return Array.isArray(values) ? (values[parts.layer] as CellValue | undefined) : undefined;
}

/** ModelInfo with the snake_case keys every output uses. */
export function modelToJson(model: ModelInfo): Record<string, unknown> {
  return {
    family: model.family,
    sample_rate: model.sampleRate,
    sample_rate_source: model.sampleRateSource ?? null,
    subs: [...model.subs],
    weights: model.weights,
    seed: model.seed,
    checkpoint: model.checkpoint,
    sha256: model.sha256,
    precision: model.precision,
    provider: model.provider,
    adapter: model.adapter,
    segment_samples: model.segmentSamples,
    align: model.align === '' ? null : model.align,
    max_offset_samples: model.align === 'offset' ? model.maxOffsetSamples : null,
    // Which losses the records hold (`--loss`), and the native ones' names where they do.
    ...(model.loss ? { loss: model.loss } : {}),
    ...(model.loss === 'native' ? { native_losses: [...(model.nativeLosses ?? [])] } : {}),
  };
}

/** The inverse of `modelToJson`, checking types; `source` names the file in errors. */
export function modelFromJson(value: unknown, source: string): ModelInfo {
  const bad = (what: string): never => {
    throw new UsageError(`${source}: "model" ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('must be an object');
  const m = value as Record<string, unknown>;
  const str = (key: string): string => (typeof m[key] === 'string' ? (m[key] as string) : bad(`needs a string "${key}"`));
  const strOrNull = (key: string): string | null =>
    m[key] === null || m[key] === undefined ? null : typeof m[key] === 'string' ? (m[key] as string) : bad(`"${key}" must be a string or null`);
  const num = (key: string): number => (typeof m[key] === 'number' ? (m[key] as number) : bad(`needs a number "${key}"`));
  const weights = str('weights');
  if (weights !== 'untrained' && weights !== 'checkpoint') bad(`"weights" must be "untrained" or "checkpoint"`);
  const subs = m['subs'];
  if (!Array.isArray(subs) || !subs.every((s) => typeof s === 'string')) bad('needs "subs", an array of names');
  return {
    family: str('family'),
    sampleRate: num('sample_rate'),
    sampleRateSource: strOrNull('sample_rate_source'),
    subs: subs as string[],
    weights: weights as 'untrained' | 'checkpoint',
    seed: m['seed'] === null || m['seed'] === undefined ? null : num('seed'),
    checkpoint: strOrNull('checkpoint'),
    sha256: strOrNull('sha256'),
    precision: strOrNull('precision'),
    provider: typeof m['provider'] === 'string' ? (m['provider'] as string) : '',
    adapter: typeof m['adapter'] === 'string' ? (m['adapter'] as string) : null,
    segmentSamples: typeof m['segment_samples'] === 'number' ? (m['segment_samples'] as number) : 0,
    align: m['align'] === 'offset' || m['align'] === 'none' ? m['align'] : '',
    maxOffsetSamples: typeof m['max_offset_samples'] === 'number' ? (m['max_offset_samples'] as number) : 0,
    ...(m['loss'] === 'native' || m['loss'] === 'standard' ? { loss: m['loss'] } : {}),
    ...(Array.isArray(m['native_losses']) && m['native_losses'].every((s) => typeof s === 'string') ? { nativeLosses: m['native_losses'] as string[] } : {}),
  };
}

function indent(json: string, by: string): string {
  return json.replace(/\n/g, `\n${by}`);
}

/**
 * The document up to the opening of `files`. The document is laid out for people and diffs:
 * top-level keys on their own lines, one file record per line.
 */
export function documentHead(version: string, model: ModelInfo | null): string {
  const model_ = model ? indent(JSON.stringify(modelToJson(model), null, 2), '  ') : 'null';
  return `{\n  "tool": "tts-critic",\n  "version": ${JSON.stringify(version)},\n  "model": ${model_},\n  "files": [`;
}

/** One record inside `files`; `first` decides whether a separating comma is needed. */
export function documentRecord(record: JsonRecord, first: boolean): string {
  return `${first ? '' : ','}\n    ${JSON.stringify(record)}`;
}

/** Closes `files` and the document. */
export function documentTail(summary: Summary): string {
  return `\n  ],\n  "summary": ${indent(JSON.stringify(summary, null, 2), '  ')}\n}\n`;
}

/** The JSON document: its head, each record as it comes, and the summary at the end. */
export const jsonFormatter: Formatter = {
  head: (frame) => documentHead(frame.version, frame.model),
  record: (row, index, frame) => documentRecord(toJsonRecord(row, frame.columns, frame.subs), index === 0),
  tail: (results) => documentTail(results.summary),
};

export interface ParsedDocument {
  readonly columns: string[];
  readonly rows: Row[];
  readonly model: ModelInfo | null;
  readonly version: string | null;
  readonly summary: unknown;
}

/** Parses a whole JSON document report. */
export function parseJsonDocument(text: string, source: string): ParsedDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(
      `cannot read ${source}: not complete JSON (${(error as Error).message}); ` +
        'a report written to a redirected stdout by a run that was stopped is cut short: use -o FILE, which is always complete',
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || (doc as Record<string, unknown>)['tool'] !== 'tts-critic') {
    throw new UsageError(`cannot read ${source}: not a tts-critic JSON report (expected an object with "tool": "tts-critic")`);
  }
  const d = doc as Record<string, unknown>;
  const files = d['files'];
  if (!Array.isArray(files)) throw new UsageError(`cannot read ${source}: "files" must be an array of records`);
  const collector = new ColumnCollector();
  const rows = files.map((file, i) => rowFromJsonRecord(file, `${source}: files[${i}]`, collector));
  return {
    columns: collector.columns,
    rows,
    model: d['model'] === null || d['model'] === undefined ? null : modelFromJson(d['model'], source),
    version: typeof d['version'] === 'string' ? d['version'] : null,
    summary: d['summary'] ?? null,
  };
}
