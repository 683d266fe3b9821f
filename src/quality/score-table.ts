/**
 * The compact form of one report that `compare` works on: per file key, the few metric values
 * compared, and nothing else. A 100,000-file report of the CLI's own JSONL rows is a few
 * hundred MB of text; read as `Row` objects it would be several GB, read this way it is one
 * Float64Array per metric and the keys.
 *
 * JSONL (by extension or content) is streamed line by line; CSV and JSON documents are read
 * whole through `readReport` (they are the small formats: a JSON document cannot be streamed
 * without a streaming parser, and nobody writes 1.6 GB of CSV). All of it is behind
 * `readScoreTable`, the one function to re-point at a streaming report reader.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { UsageError, messageOf } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { REQUIRED_COLUMNS, rowKey, textCell, type Row } from '../report/columns.js';
import { formatFromPath, isReadableFormat } from '../report/formats.js';
import { readReport, sniffFormat, type ReportData } from '../report/read.js';

export interface ScoreTable {
  /** The path (or the caller's name) for messages. */
  readonly source: string;
  /** A JSON document's model block, else null. */
  readonly model: ModelInfo | null;
  /** Every distinct `family`/`weights` pair of the rows, for the same-model check. */
  readonly models: readonly { readonly family: string; readonly weights: string }[];
  /** Row keys (syn path, or ref for a row without one), one per file; a later duplicate replaced the earlier row. */
  readonly keys: readonly string[];
  /** The ref path of each file ('' when none). */
  readonly refs: readonly string[];
  /** 1 where the row's status is `ok`. */
  readonly ok: Uint8Array;
  /** Per wanted metric, the value of each file (NaN: missing or not ok). */
  readonly values: ReadonlyMap<string, Float64Array>;
  /** Metrics with at least one value. */
  readonly present: ReadonlySet<string>;
  /** A cut-short last JSONL line was dropped. */
  readonly partialLine: boolean;
}

class TableBuilder {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly refs: string[] = [];
  private readonly ok: number[] = [];
  private readonly columns: number[][];
  private readonly models = new Map<string, { family: string; weights: string }>();
  private readonly present = new Set<string>();

  constructor(
    readonly source: string,
    private readonly metrics: readonly string[],
  ) {
    this.columns = metrics.map(() => []);
  }

  add(key: string, ref: string, status: string, family: string, weights: string, value: (metric: string) => number | null): void {
    let at = this.index.get(key);
    if (at === undefined) {
      at = this.keys.length;
      this.index.set(key, at);
      this.keys.push(key);
      this.refs.push(ref);
      this.ok.push(0);
      for (const column of this.columns) column.push(NaN);
    }
    this.refs[at] = ref;
    const ok = status === 'ok';
    this.ok[at] = ok ? 1 : 0;
    this.metrics.forEach((metric, m) => {
      const v = ok ? value(metric) : null;
      this.columns[m]![at!] = v === null ? NaN : v;
      if (v !== null) this.present.add(metric);
    });
    if (family !== '' || weights !== '') {
      const tag = `${family}\u0000${weights}`;
      if (!this.models.has(tag)) this.models.set(tag, { family, weights });
    }
  }

  build(model: ModelInfo | null, partialLine: boolean): ScoreTable {
    return {
      source: this.source,
      model,
      models: [...this.models.values()],
      keys: this.keys,
      refs: this.refs,
      ok: Uint8Array.from(this.ok),
      values: new Map(this.metrics.map((metric, m) => [metric, Float64Array.from(this.columns[m]!)])),
      present: this.present,
      partialLine,
    };
  }
}

function finite(value: unknown, where: string, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UsageError(`${where}: "${column}" must be a number or null, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A report already in memory (rows) as a table. */
export function tableFromReport(report: ReportData, metrics: readonly string[]): ScoreTable {
  const builder = new TableBuilder(report.source, metrics);
  for (const row of report.rows) addRow(builder, row);
  return builder.build(report.model, report.partialLine);
}

function addRow(builder: TableBuilder, row: Row): void {
  builder.add(rowKey(row), textCell(row, 'ref'), textCell(row, 'status'), textCell(row, 'family'), textCell(row, 'weights'), (metric) => {
    const v = row[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
}

function text(record: Record<string, unknown>, column: string, where: string): string {
  const v = record[column];
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') throw new UsageError(`${where}: "${column}" must be a string`);
  return v;
}

/**
 * A copy of `text` that does not share memory with the line it was cut from: V8 may keep a
 * substring (or a string JSON.parse made) as a view into its source, and a kept key would then
 * keep its whole 3 kB line, or its 1 MB chunk, alive.
 */
function own(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

const TEXT_FIELDS = ['ref', 'syn', 'status', 'family', 'weights'] as const;

/**
 * The fast path for the lines tts-critic writes (`JSON.stringify` of a record starting with
 * "ref"): each wanted field is found by its `,"name":` (which cannot occur inside a JSON string,
 * where a quote is escaped) before any nested `fm_layers`, and only its value is parsed. A JSON
 * parse of the whole 3 kB record was three quarters of reading a report (measured). Returns
 * null for anything else, and the caller parses the line whole.
 */
function extractFields(line: string, metrics: readonly string[], needles: ReadonlyMap<string, string>): Record<string, unknown> | null {
  if (!line.startsWith('{"ref":')) return null;
  const nested = line.indexOf(',"fm_layers":');
  const end = nested < 0 ? line.length : nested;
  const record: Record<string, unknown> = {};
  const valueAt = (name: string): number => {
    if (name === 'ref') return 7;
    const at = line.indexOf(needles.get(name)!);
    return at < 0 || at > end ? -1 : at + name.length + 4;
  };
  for (const name of TEXT_FIELDS) {
    const start = valueAt(name);
    if (start < 0) continue;
    if (line.charCodeAt(start) !== 34 /* " */) {
      if (line.startsWith('null', start)) continue;
      return null;
    }
    let stop = start + 1;
    let escaped = false;
    for (;;) {
      stop = line.indexOf('"', stop);
      if (stop < 0) return null;
      let backslashes = 0;
      while (line.charCodeAt(stop - 1 - backslashes) === 92 /* \ */) backslashes++;
      if (backslashes % 2 === 0) break;
      escaped = true;
      stop++;
    }
    const raw = line.slice(start + 1, stop);
    record[name] = escaped || raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
  }
  for (const name of metrics) {
    const start = valueAt(name);
    if (start < 0) continue;
    let stop = start;
    for (let c = line.charCodeAt(stop); c !== 44 /* , */ && c !== 125 /* } */ && stop < line.length; c = line.charCodeAt(++stop));
    const text = line.slice(start, stop);
    if (text === 'null') record[name] = null;
    else {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value) || !/^-?[\d.]/.test(text)) return null;
      record[name] = value;
    }
  }
  return record;
}

/** Streams a JSONL report line by line, only the wanted fields kept. */
async function streamJsonl(path: string, metrics: readonly string[]): Promise<ScoreTable> {
  const builder = new TableBuilder(path, metrics);
  const needles = new Map([...TEXT_FIELDS, ...metrics].map((name) => [name, `,${JSON.stringify(name)}:`]));
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  let checked = false;
  const take = (line: string): void => {
    lineNo++;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') return;
    let value: unknown = extractFields(line, metrics, needles);
    if (value === null) {
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new UsageError(`cannot read ${path}: line ${lineNo} is not JSON (${messageOf(error)})`);
      }
    }
    const where = `${path}: line ${lineNo}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${where}: expected a JSON object for a file record`);
    const record = value as Record<string, unknown>;
    if (!checked) {
      const missing = REQUIRED_COLUMNS.filter((c) => !(c in record));
      if (missing.length > 0) throw new UsageError(`${path} does not look like a tts-critic report: no ${missing.map((c) => `"${c}"`).join(', ')} column`);
      checked = true;
    }
    const syn = text(record, 'syn', where);
    const ref = text(record, 'ref', where);
    builder.add(own(syn !== '' ? syn : ref), own(ref), text(record, 'status', where), text(record, 'family', where), text(record, 'weights', where), (metric) =>
      finite(record[metric], where, metric),
    );
  };
  try {
    // 64 KiB reads: the joined text and its lines stay small enough for the young generation,
    // where they die cheaply; 1 MiB reads made large-object garbage that raised the peak RSS
    // and took longer (measured on the 1.6 GB bench: 142–171 MB and 8–14 s against 191 MB
    // and 23 s for reading, on a loaded machine).
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
      const lines = (carry + decoder.write(chunk as Buffer)).split('\n');
      carry = lines.pop()!;
      for (const line of lines) take(line);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${path}: ${messageOf(error)}`);
  }
  carry += decoder.end();
  let partialLine = false;
  const tail = carry.replace(/\u0000+$/, '');
  if (tail.trim() !== '') {
    // As parseJsonl: a last line without '\n' is kept when whole, dropped when cut short.
    let whole = true;
    try {
      JSON.parse(tail);
    } catch {
      whole = false;
    }
    if (whole) take(tail);
    else partialLine = true;
  }
  return builder.build(null, partialLine);
}

async function sniffFile(path: string): Promise<ReturnType<typeof sniffFormat>> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(1 << 16);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return sniffFormat(buffer.subarray(0, bytesRead).toString('utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${messageOf(error)}`);
  } finally {
    await handle?.close();
  }
}

/**
 * Reads the wanted metrics of a report file. The format comes from the extension, else from the
 * content; JSONL is streamed, the others read whole.
 */
export async function readScoreTable(path: string, metrics: readonly string[]): Promise<ScoreTable> {
  const named = formatFromPath(path);
  if (named !== null && !isReadableFormat(named)) {
    throw new UsageError(`cannot read ${path}: a ${named} report is a view, not scores; give the CSV, JSON or JSONL scores it was made from`);
  }
  const format = named ?? (await sniffFile(path));
  if (format === 'jsonl') return streamJsonl(path, metrics);
  return tableFromReport(await readReport(path, format), metrics);
}
