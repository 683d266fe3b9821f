/**
 * `merge` and `report` over reports of any size: the same result as `mergeReports` (one row
 * per key, the last one kept, sorted by key, every column of every input), read and written a
 * row at a time with bounded memory.
 *
 * An external merge sort. The first pass reads every input once, checks they were scored with
 * one model, and collects rows in chunks of about `chunkBytes` of JSON; each full chunk is
 * sorted by (key, input order) and spilled to a temp file. The second pass merges the sorted
 * runs (and the last chunk, still in memory) and keeps, for each key, the row read last.
 * A report that fits one chunk never touches the disk. Memory: one chunk plus one record per run.
 */
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { compareKeys, isTextColumn, rowKey, type CellValue, type Row } from '../report/columns.js';
import { ColumnCollector, rowFromJsonRecord } from '../report/json.js';
import { csvLine } from '../report/csv.js';
import { CsvFromJson } from '../report/csv-from-json.js';
import { checkRequiredColumns, openReport } from '../report/read-stream.js';
import { pause } from '../util/yield.js';
import type { MergeDuplicate } from './merge.js';
import { ModelDescriptions, describeMismatch, findModelMismatch, type ScoredSet } from './same-model.js';

/**
 * Default chunk: small enough that the live heap stays small (V8 lets the heap grow to a few
 * times what was live at the last full collection, so a 32 MiB chunk meant some 200 MB of
 * heap), large enough that 1M rows of 3.3 KB make ~200 runs to merge.
 */
export const DEFAULT_CHUNK_BYTES = 16 << 20;

export interface MergeStreamOptions {
  /** JSON text collected before a chunk is sorted and spilled (default 16 MiB). */
  readonly chunkBytes?: number;
  /** Where spilled runs go (default: the system temp folder). */
  readonly tempDir?: string;
}

export interface MergedReports {
  /** Union of the inputs' columns in order of first appearance. */
  readonly columns: readonly string[];
  /** The first input's full model description (JSON inputs), else null. */
  readonly model: ModelInfo | null;
  /** The distinct `family`/`weights` descriptions the rows carry (usually one), for the baseline check. */
  readonly descriptions: readonly string[];
  /** Inputs whose cut-short last JSONL line was dropped (a shard that was killed). */
  readonly partialInputs: readonly string[];
  /** Records read over all inputs (before duplicates are dropped). */
  readonly records: number;
  /** One row per key, sorted by key, every column present; can be iterated once (this or `batches`). */
  rows(): AsyncGenerator<Row>;
  /** The same rows in batches of up to 64: one await per batch, for a consumer that goes through a million. */
  batches(): AsyncGenerator<Row[]>;
  /**
   * The same rows with their CSV records (`columns`), for a CSV output: records go to CSV
   * straight from their JSON text (see CsvFromJson; a CSV input's row is held as flat JSON), and
   * the rows of JSON records then hold every cell but the per-layer ones (`fm_<sub>_<i>`),
   * which only the CSV text carries. Read once, instead of `rows()` or `batches()`.
   */
  csvBatches(): AsyncGenerator<CsvBatch>;
  /**
   * The same rows as `batches()`, but those of JSON records without their per-layer cells
   * (`fm_<sub>_<i>`): for outputs that show none (the HTML page), at a third of the cost of
   * building whole rows. Read once, instead of the others.
   */
  scalarBatches(): AsyncGenerator<Row[]>;
  /** Once `rows()` is done: keys found more than once. */
  readonly duplicates: readonly MergeDuplicate[];
  /** Removes the spilled runs (also done when `rows()` finishes). */
  dispose(): Promise<void>;
  /** The same, synchronously: for an exit on a signal, where nothing asynchronous runs any more. */
  disposeSync(): void;
}

/** Merged rows and their CSV records, one line per row in order. */
export interface CsvBatch {
  readonly rows: readonly Row[];
  /** Valid until the next batch is asked for. */
  readonly csv: Buffer;
}

/**
 * One record on its way through the sort: its key, its place in the input order, its input,
 * and where its text is: bytes `start`..`end` of `bytes`, the JSONL line as read (`record`,
 * flattened again when it comes out) or the row as JSON (`row`, from CSV and JSON documents).
 * The text stays bytes until the record is the one kept: text held as strings while a chunk
 * is collected, or while two hundred runs are merged, lives long enough to be copied into
 * V8's old generation, 3 GB of it through full collections in a 1M-row merge.
 */
type Entry = [key: string, seq: number, input: number, kind: 'record' | 'row', start: number, end: number, bytes: Buffer];

const byKeyThenSeq = (a: Entry, b: Entry): number => compareKeys(a[0], b[0]) || a[1] - b[1];

/**
 * A run line is `seq TAB input TAB kind TAB key-as-JSON TAB text`: this is all of it but the
 * text and the newline. Only the short prefix is parsed while merging; the record itself only
 * when it is the one kept. (JSON text holds no raw tab, so the fields split unambiguously.)
 */
function runLinePrefix(entry: Entry): string {
  return `${entry[1]}\t${entry[2]}\t${entry[3]}\t${JSON.stringify(entry[0])}\t`;
}

const NEWLINE = Buffer.from('\n');

/** The entry of the run line at `start`..`end` of `bytes`: its prefix parsed, its text left as bytes. */
function parseRunLine(bytes: Buffer, start: number, end: number): Entry {
  const a = bytes.indexOf(9, start);
  const b = bytes.indexOf(9, a + 1);
  const c = bytes.indexOf(9, b + 1);
  const d = bytes.indexOf(9, c + 1);
  if (a < 0 || d < 0 || d >= end) throw new Error('a merge run line without its fields');
  const field = (from: number, to: number): string => bytes.toString('latin1', from, to);
  return [JSON.parse(bytes.toString('utf8', c + 1, d)) as string, Number(field(start, a)), Number(field(a + 1, b)), field(b + 1, c) as Entry[3], d + 1, end, bytes];
}

/**
 * A spilled run's entries, a batch per read: one await per 64 KiB, not one per line. (A '\n'
 * byte never occurs inside a UTF-8 sequence, so lines are cut on bytes.)
 */
async function* runBatches(path: string): AsyncGenerator<Entry[]> {
  let rest: Buffer | null = null;
  // Small reads: a million rows make about two hundred runs, all open at once while merging.
  for await (const chunk of createReadStream(path, { highWaterMark: 64 << 10 }) as AsyncIterable<Buffer>) {
    const data: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const batch: Entry[] = [];
    let start = 0;
    for (let end = data.indexOf(10, start); end >= 0; end = data.indexOf(10, start)) {
      if (end > start) batch.push(parseRunLine(data, start, end));
      start = end + 1;
    }
    rest = start < data.length ? data.subarray(start) : null;
    if (batch.length > 0) yield batch;
  }
  if (rest) yield [parseRunLine(rest, 0, rest.length)];
}

async function* memoryBatches(entries: Entry[]): AsyncGenerator<Entry[]> {
  if (entries.length > 0) yield entries;
}

/** A run being merged: its current batch of entries and the place of its head in it. */
interface RunCursor {
  batch: Entry[];
  at: number;
  readonly source: AsyncGenerator<Entry[]>;
}

/** A min-heap of run heads by (key, seq). */
class RunHeap {
  private readonly items: { entry: Entry; run: RunCursor }[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0]?.entry;
  }

  push(entry: Entry, run: RunCursor): void {
    const items = this.items;
    items.push({ entry, run });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (byKeyThenSeq(items[i]!.entry, items[parent]!.entry) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): { entry: Entry; run: RunCursor } {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && byKeyThenSeq(items[left]!.entry, items[least]!.entry) < 0) least = left;
        if (right < items.length && byKeyThenSeq(items[right]!.entry, items[least]!.entry) < 0) least = right;
        if (least === i) break;
        [items[i], items[least]] = [items[least]!, items[i]!];
        i = least;
      }
    }
    return top;
  }
}

/** The cells of the row a checked JSON record makes: its scalar keys plus its per-layer values. */
function cellCount(record: Record<string, unknown>): number {
  let count = 0;
  for (const key in record) {
    if (key !== 'fm_layers') {
      count++;
      continue;
    }
    const layers = record[key] as Record<string, unknown[]> | null;
    if (layers) for (const sub in layers) count += layers[sub]!.length;
  }
  return count;
}

/** Reads and sorts every input (first pass); the merged rows come from `rows()`. */
export async function mergeReportFiles(paths: readonly string[], options: MergeStreamOptions = {}): Promise<MergedReports> {
  if (paths.length === 0) throw new UsageError('nothing to merge: give at least one report');
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const columns: string[] = [];
  const seen = new Set<string>();
  const sets: ScoredSet[] = [];
  const partialInputs: string[] = [];
  const runs: string[] = [];
  let folder: string | null = null;
  let chunk: Entry[] = [];
  // The chunk's text, reused for every chunk (grown only for a record larger than a chunk).
  let text = Buffer.allocUnsafe(chunkBytes + (64 << 10));
  let used = 0;
  let seq = 0;

  const dispose = async (): Promise<void> => {
    if (folder !== null) await rm(folder, { recursive: true, force: true });
    folder = null;
  };
  const disposeSync = (): void => {
    if (folder !== null) rmSync(folder, { recursive: true, force: true });
    folder = null;
  };
  const spill = async (): Promise<void> => {
    chunk.sort(byKeyThenSeq);
    folder ??= await mkdtemp(join(options.tempDir ?? tmpdir(), 'tts-critic-merge-'));
    const path = join(folder, `run-${runs.length}.jsonl`);
    // Written about 64 KiB at a time, each line as its prefix, its text (a view of the
    // chunk's buffer, which stays as it is until the run is written) and a newline.
    const handle = await open(path, 'wx');
    try {
      let pieces: Buffer[] = [];
      let size = 0;
      for (const entry of chunk) {
        const line = [Buffer.from(runLinePrefix(entry)), text.subarray(entry[4], entry[5]), NEWLINE];
        pieces.push(...line);
        size += line[0]!.length + line[1]!.length + 1;
        if (size >= 64 << 10) {
          await handle.writev(pieces);
          pieces = [];
          size = 0;
        }
      }
      if (pieces.length > 0) await handle.writev(pieces);
    } finally {
      await handle.close();
    }
    runs.push(path);
    chunk = [];
    used = 0;
  };
  /** Adds one record's text to the chunk, spilling the chunk first when it is full. */
  const collect = async (key: string, input: number, kind: Entry[3], record: string): Promise<void> => {
    const most = 3 * record.length;
    if (used + most > text.length && chunk.length > 0) await spill();
    if (most > text.length) text = Buffer.allocUnsafe(most);
    const start = used;
    used += text.write(record, used);
    chunk.push([key, seq++, input, kind, start, used, text]);
    if (used >= chunkBytes) await spill();
  };
  try {
    for (const [input, path] of paths.entries()) {
      // Lean: this pass needs each record's key and model columns; the whole row is built in
      // the second pass, once, for the record kept.
      const stream = await openReport(path, undefined, { lean: true });
      const kind = stream.format === 'csv' ? 'row' : 'record';
      const models = new ModelDescriptions();
      for await (const batch of stream.batches()) {
        const texts = stream.batchTexts;
        for (let i = 0; i < batch.length; i++) {
          const row = batch[i]!;
          models.add(row);
          // A JSON document's lean row is its record as parsed: stored as JSON record text too.
          await collect(rowKey(row), input, kind, texts?.[i] ?? JSON.stringify(row));
        }
      }
      checkRequiredColumns(stream);
      for (const column of stream.columns) {
        if (!seen.has(column)) {
          seen.add(column);
          columns.push(column);
        }
      }
      sets.push({ source: path, model: stream.model, descriptions: models.list, rates: models.rates });
      if (stream.partialLine) partialInputs.push(path);
    }
    const mismatch = findModelMismatch(sets);
    if (mismatch) {
      const what = { model: 'different models', rate: 'different sample rates', segment: 'different window lengths', align: 'different alignments' }[mismatch.kind];
      throw new UsageError(`cannot merge reports scored with ${what}: ${describeMismatch(mismatch)}`);
    }
    if (runs.length > 0 && chunk.length > 0) await spill();
    else chunk.sort(byKeyThenSeq);
  } catch (error) {
    await dispose();
    throw error;
  }
  // A report that fits one chunk is merged from memory; otherwise the chunk buffer's 16 MiB go
  // now (the closures kept for the second pass would keep it alive).
  let inMemory: Entry[] | null = runs.length > 0 ? null : chunk;
  chunk = [];
  if (!inMemory) text = Buffer.alloc(0);

  const duplicates: MergeDuplicate[] = [];
  const descriptions = new ModelDescriptions();
  for (const set of sets) for (const what of set.descriptions ?? []) descriptions.addDescription(what);
  const scratch = new ColumnCollector();
  const full = (entry: Entry): Row => {
    let row: Row;
    let width: number;
    const text = entry[6].toString('utf8', entry[4], entry[5]);
    if (entry[3] === 'record') {
      const record = JSON.parse(text) as unknown;
      row = rowFromJsonRecord(record, () => `${paths[entry[2]]}: record ${entry[1]}`, scratch);
      // Counted on the record: Object.keys of a row of a hundred-odd cells costs more.
      width = cellCount(record as Record<string, unknown>);
    } else {
      row = JSON.parse(text) as Row;
      width = Object.keys(row).length;
    }
    // Every column present (a shard without per-layer values gets nulls, as in mergeReports).
    if (width === columns.length) return row;
    const out: Record<string, CellValue> = {};
    for (const column of columns) out[column] = row[column] ?? (isTextColumn(column) ? '' : null);
    return out;
  };
  let started = false;

  /** Puts the run's next entry on the heap: from its batch, or from its next batch when that one is used up. */
  const advance = async (heap: RunHeap, run: RunCursor): Promise<void> => {
    if (++run.at < run.batch.length) {
      heap.push(run.batch[run.at]!, run);
      return;
    }
    const next = await run.source.next();
    if (next.done) return;
    run.batch = next.value;
    run.at = 0;
    heap.push(run.batch[0]!, run);
  };

  /** The entries kept (the last one read of each key), in key order, in batches of up to 64. */
  async function* kept(): AsyncGenerator<Entry[]> {
    if (started) throw new Error('merged rows can be read once');
    started = true;
    const heap = new RunHeap();
    try {
      const sources = inMemory ? [memoryBatches(inMemory)] : runs.map(runBatches);
      inMemory = null;
      for (const source of sources) await advance(heap, { batch: [], at: -1, source });
      let out: Entry[] = [];
      while (heap.size > 0) {
        const key = heap.peek()![0];
        let last: Entry | null = null;
        const from: string[] = [];
        while (heap.size > 0 && heap.peek()![0] === key) {
          const { entry, run } = heap.pop();
          last = entry;
          from.push(paths[entry[2]]!);
          // Awaits only when the run's batch is used up.
          if (run.at + 1 < run.batch.length) heap.push(run.batch[++run.at]!, run);
          else await advance(heap, run);
        }
        if (from.length > 1) duplicates.push({ key, sources: from });
        out.push(last!);
        // Small batches: a flat row is a few KB, and rows kept waiting would outlive the young
        // generation.
        if (out.length === 64) {
          yield out;
          out = [];
          // A long merge of rows already in memory must still let Ctrl-C be heard.
          await pause();
        }
      }
      if (out.length > 0) yield out;
    } finally {
      await dispose();
    }
  }

  async function* batches(): AsyncGenerator<Row[]> {
    for await (const entries of kept()) yield entries.map(full);
  }

  async function* scalarBatches(): AsyncGenerator<Row[]> {
    const rows = new CsvFromJson(columns);
    for await (const entries of kept()) yield entries.map((entry) => rows.scalarRowOf(entry[6], entry[4], entry[5]) ?? full(entry));
  }

  async function* csvBatches(): AsyncGenerator<CsvBatch> {
    const render = new CsvFromJson(columns);
    // A batch's text is handed to the writer before the next one is made: one buffer serves.
    let out = Buffer.alloc(0);
    let used = 0;
    const reserve = (bytes: number): void => {
      if (used + bytes <= out.length) return;
      const grown = Buffer.allocUnsafe(Math.max(used + bytes, 2 * out.length, 256 << 10));
      out.copy(grown, 0, 0, used);
      out = grown;
    };
    for await (const entries of kept()) {
      const rows: Row[] = [];
      used = 0;
      for (const entry of entries) {
        reserve(render.room(entry[5] - entry[4]));
        // A CSV input's row is held as flat JSON, a shape the renderer takes too (its numbers
        // were written by JSON.stringify: the text csvLine would make).
        const end = render.render(entry[6], entry[4], entry[5], out, used);
        if (end >= 0) {
          rows.push(render.scalarRow(entry[6], entry[4], entry[5]));
          used = end;
        } else {
          // A record of a shape the renderer leaves to the parser.
          const row = full(entry);
          rows.push(row);
          const line = csvLine(row, columns);
          reserve(Buffer.byteLength(line));
          used += out.write(line, used, 'utf8');
        }
      }
      yield { rows, csv: out.subarray(0, used) };
    }
  }

  async function* rows(): AsyncGenerator<Row> {
    for await (const batch of batches()) yield* batch;
  }

  return {
    columns,
    model: sets.find((set) => set.model !== null)?.model ?? null,
    descriptions: descriptions.list,
    partialInputs,
    records: seq,
    rows,
    batches,
    scalarBatches,
    csvBatches,
    get duplicates() {
      return duplicates;
    },
    dispose,
    disposeSync,
  };
}
