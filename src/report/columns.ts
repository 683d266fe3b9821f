/**
 * The output contract's column list, and the flat row shape every format is written from and
 * read back into. Keeping one row shape for CSV, JSON and JSONL is what lets `merge`,
 * `--baseline` and `--resume` treat any mix of formats alike.
 */
import type { ModelInfo } from '../scores.js';
import type { Direction } from './verdicts.js';

/** One cell: text columns hold strings, every other column a number or null (missing). */
export type CellValue = string | number | null;

/**
 * One output record, keyed by column name. Per-layer feature-matching values are kept flat as
 * `fm_<sub>_<i>` (0-based layer index) in every format's row, also when they came from a JSON
 * record's nested `fm_layers`, so one lookup works for all of them.
 */
export type Row = { readonly [column: string]: CellValue };

/** What each file was: its decoded format (`wav`, `flac`, `mp3`, `ogg-vorbis`, `ogg-opus`) and its own rate. */
export const FILE_COLUMNS = ['ref_format', 'syn_format', 'ref_sample_rate', 'syn_sample_rate'] as const;

/** The fixed leading columns, in contract order. */
export const BASE_COLUMNS = [
  'ref',
  'syn',
  'status',
  'error',
  'sample_rate',
  'ref_seconds',
  'syn_seconds',
  ...FILE_COLUMNS,
  'windows',
  'fm',
  'gen',
  'real',
  'fake',
  'disc',
  'mel_l1',
  // Timing (issue 13): the mel distance along a DTW path, the offset removed by --align offset,
  // and why a comparison may be unsound.
  'mel_dtw',
  'offset_ms',
  'warning',
] as const;

/** The four per-sub-discriminator metrics, in contract order (`fm_<sub>`, `gen_<sub>`, ...). */
export const SUB_METRICS = ['fm', 'gen', 'real', 'fake'] as const;

/** The trailing columns that identify the model, so merged shards can be checked for sameness. */
export const MODEL_COLUMNS = ['family', 'weights'] as const;

/** Columns holding text; every other column is numeric. */
export const TEXT_COLUMNS: ReadonlySet<string> = new Set(['ref', 'syn', 'status', 'error', 'warning', 'ref_format', 'syn_format', 'family', 'weights']);

/** Columns a file must have to be taken for a tts-critic report. */
export const REQUIRED_COLUMNS = ['ref', 'syn', 'status'] as const;

export function isTextColumn(column: string): boolean {
  return TEXT_COLUMNS.has(column);
}

/**
 * Columns computed from the reference recording (`fm`, `real`, `disc`, `mel_l1`, `mel_dtw`,
 * `offset_ms`, `ref_seconds`, `ref_format`, `ref_sample_rate`, `fm_<sub>`, `real_<sub>`,
 * `fm_<sub>_<i>`): always empty in reference-free (`--syn-only`) runs, which have only `gen`,
 * `fake`, `gen_<sub>`, `fake_<sub>` and the facts of the synthesized file.
 */
export function needsReference(column: string): boolean {
  return (
    column === 'fm' ||
    column === 'real' ||
    column === 'disc' ||
    column === 'mel_l1' ||
    column === 'mel_dtw' ||
    column === 'offset_ms' ||
    column === 'ref_seconds' ||
    column === 'ref_format' ||
    column === 'ref_sample_rate' ||
    column.startsWith('fm_') ||
    column.startsWith('real_') ||
    column.startsWith('native_')
  );
}

/** Per-sub-discriminator layer counts, e.g. `{ s: 7, p2: 6 }`: asks for `fm_<sub>_<i>` CSV columns. */
export type LayerCounts = Readonly<Record<string, number>>;

export function subColumns(sub: string): string[] {
  return SUB_METRICS.map((metric) => `${metric}_${sub}`);
}

/** `--loss native`: the column of a native loss value, `native_<name as upstream logs it>`. */
export function nativeColumn(name: string): string {
  return `native_${name}`;
}

export function layerColumn(sub: string, layer: number): string {
  return `fm_${sub}_${layer}`;
}

/**
 * The run's columns: the contract's fixed columns, four per sub-discriminator in model order,
 * `family`, `weights`, and, only when `layers` is given, `fm_<sub>_<i>` per layer at the very end
 * (after the contract columns, so the contract prefix is the same with or without them).
 */
export function columnsFor(subs: readonly string[], layers?: LayerCounts, nativeLosses: readonly string[] = []): string[] {
  const columns: string[] = [...BASE_COLUMNS];
  for (const sub of subs) columns.push(...subColumns(sub));
  columns.push(...MODEL_COLUMNS);
  // `--loss native`: the family's own losses (model.nativeLosses), after the contract columns.
  columns.push(...nativeLosses.map(nativeColumn));
  if (layers) {
    for (const sub of subs) {
      const count = layers[sub] ?? 0;
      for (let i = 0; i < count; i++) columns.push(layerColumn(sub, i));
    }
  }
  return columns;
}

/**
 * Sub-discriminator names recovered from a column list (a sub is a name X with all four
 * `fm_X`, `gen_X`, `real_X`, `fake_X` columns), in column order. Used for files that do not
 * carry the model description (CSV, JSONL).
 */
export function subsFromColumns(columns: readonly string[]): string[] {
  const present = new Set(columns);
  const subs: string[] = [];
  for (const column of columns) {
    if (!column.startsWith('fm_')) continue;
    const sub = column.slice(3);
    if (subColumns(sub).every((c) => present.has(c))) subs.push(sub);
  }
  return subs;
}

/** Whether `column` has the form of a per-layer column (`fm_<sub>_<i>`), whatever the subs. */
export function mayBeLayerColumn(column: string): boolean {
  return /^fm_.+_\d+$/.test(column);
}

/**
 * Tells per-layer columns (`fm_<sub>_<i>`) apart from everything else for a known list of subs.
 * A sub's own columns (`fm_p2`) never match because the layer suffix is required.
 */
export function layerColumnMatcher(subs: readonly string[]): (column: string) => { sub: string; layer: number } | null {
  const known = new Set(subs);
  return (column) => {
    const match = /^fm_(.+)_(\d+)$/.exec(column);
    if (!match) return null;
    const sub = match[1]!;
    if (!known.has(sub)) return null;
    return { sub, layer: Number(match[2]) };
  };
}

/** The `weights` column: `untrained:seed=<n>`, `sha256:<hex>`, or `checkpoint:<path>` when no hash is known. */
export function weightsTag(model: ModelInfo): string {
  if (model.weights === 'untrained') return `untrained:seed=${model.seed ?? 0}`;
  if (model.sha256) return `sha256:${model.sha256.toLowerCase()}`;
  return `checkpoint:${model.checkpoint ?? ''}`;
}

/**
 * The key a row is matched and sorted by (merge, baseline, resume): the synthesized path as
 * written, or the reference path for rows without one (an unpaired reference).
 */
export function rowKey(row: Row): string {
  const syn = row['syn'];
  if (typeof syn === 'string' && syn !== '') return syn;
  const ref = row['ref'];
  return typeof ref === 'string' ? ref : '';
}

/** A numeric cell as a number, or null when missing / not numeric. */
export function numberCell(row: Row, column: string): number | null {
  const value = row[column];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A text cell as a string ('' when missing). */
export function textCell(row: Row, column: string): string {
  const value = row[column];
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

/**
 * Orders keys by UTF-16 code units, never by locale: the same inputs must sort the same on
 * every machine (merge output, summaries, gate listings).
 */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which way is better for a column. The reference-distance scores (`fm`, `mel_l1`, their per-sub
 * and per-layer columns) and the generator loss `gen` are lower-is-better. `fake` = mean(D(syn)²)
 * and `disc` = real + fake are higher-is-better for the synthesized audio: a discriminator that
 * scores the output as real (D → 1) raises them. `real` depends on the references only and is
 * treated as lower-is-better like everything else.
 */
export function metricDirection(column: string): Direction {
  return column === 'disc' || column === 'fake' || column.startsWith('fake_') ? 'higher-is-better' : 'lower-is-better';
}

/** Numeric columns that describe a file or the run rather than score it. */
const DESCRIPTIVE_COLUMNS: ReadonlySet<string> = new Set(['sample_rate', 'ref_seconds', 'syn_seconds', 'windows']);

/**
 * Numeric columns named with a unit are measurements about a file (`offset_ms`, a native
 * `ref_rate`, `syn_channels`), not scores: a score has no unit.
 */
const UNIT_SUFFIX = /_(?:seconds|ms|hz|rate|samples|frames|channels|bits|bytes)$/;

/**
 * The main metrics of a column list, in column order: every numeric column that is not a
 * descriptive measurement, not per sub-discriminator (`fm_<sub>` ...) and not per layer
 * (`fm_<sub>_<i>`). For a plain run that is `fm gen real fake disc mel_l1`; a metric added to
 * the output later (e.g. `mel_dtw`) is picked up without being listed anywhere. The HTML,
 * Markdown and JUnit views show these.
 */
export function mainMetrics(columns: readonly string[]): string[] {
  const subs = subsFromColumns(columns);
  const perSub = new Set(subs.flatMap(subColumns));
  const isLayer = layerColumnMatcher(subs);
  return columns.filter(
    (column) => !isTextColumn(column) && !DESCRIPTIVE_COLUMNS.has(column) && !UNIT_SUFFIX.test(column) && !perSub.has(column) && isLayer(column) === null,
  );
}
