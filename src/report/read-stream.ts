/**
 * Reads a report (CSV, JSON document, JSONL) record by record, so `merge`, `report`,
 * `--baseline` and `--resume` work on reports of any size: memory holds one chunk of the file
 * and the record in hand, never the whole text (a 3 GB report does not fit in one string).
 *
 * CSV goes through csv-parse's streaming parser, JSONL is split into lines as it comes, and a
 * JSON document through @streamparser/json (see `jsonRecords`). Rows come out as the file has
 * them: a column a record lacks is absent from its row (writers and readers of cells treat
 * absent as empty); the file's full column list, its model block and whether a cut-short last
 * line was dropped are known once every row has been read.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Parser as CsvParser, Options as CsvOptions } from 'csv-parse';
import { UsageError, messageOf } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { REQUIRED_COLUMNS, isTextColumn, type CellValue, type Row } from './columns.js';
import { csvText } from './csv.js';
import { formatFromPath, isReadableFormat, type ReadableFormat } from './formats.js';
import { ColumnCollector, checkJsonRecord, modelFromJson, rowFromJsonRecord } from './json.js';
import { parseDecimal } from './numbers.js';

/**
 * Bytes read at a time. Small enough that the text made of each read is an ordinary young
 * object: V8 puts strings over its regular object size (about 128 KiB) straight into the old
 * generation, where a 3 GB report read a megabyte at a time piles up hundreds of megabytes of
 * dead text between full collections.
 */
const CHUNK = 64 << 10;
/** How much is looked at to tell the format of a file without a telling extension. */
const SNIFF_BYTES = 1 << 20;

export interface ReportStream {
  /** Where it came from (a path), for messages. */
  readonly source: string;
  readonly format: ReadableFormat;
  /** The rows, in file order; can be iterated once (this or `batches`). */
  rows(): AsyncGenerator<Row>;
  /**
   * The same rows in batches (a read's worth for JSON and JSONL): one await per batch, for the
   * passes that go through a million records.
   */
  batches(): AsyncGenerator<Row[]>;
  /**
   * JSONL: the lines of the batch just yielded by `batches()`, one per row, so a caller that
   * stores records (the merge's sort) can keep the text it already has instead of serializing
   * the row again. Null for CSV and JSON documents.
   */
  readonly batchTexts: readonly string[] | null;
  /** Once `rows()` is done: every column in file order (per-layer `fm_<sub>_<i>` when present). */
  readonly columns: readonly string[];
  /** Once `rows()` is done: the JSON document's model block, else null. */
  readonly model: ModelInfo | null;
  /** Once `rows()` is done: JSONL whose unterminated, cut-short last line was dropped. */
  readonly partialLine: boolean;
  /** Rows read so far. */
  readonly count: number;
}

/**
 * The format of report text without a telling extension (see `sniffFormat` in read.ts), from
 * the start of the file: a first line longer than what was read cannot be a JSONL record of
 * ours, so it is a JSON document on one line.
 */
function sniffStart(text: string, complete: boolean): ReadableFormat {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (!body.startsWith('{')) return 'csv';
  const newline = body.indexOf('\n');
  if (newline < 0 && !complete) return 'json';
  try {
    const first = JSON.parse(newline < 0 ? body : body.slice(0, newline)) as unknown;
    if (typeof first === 'object' && first !== null) return 'tool' in first && 'files' in first ? 'json' : 'jsonl';
  } catch {
    // The first line alone is not JSON: a document spread over lines.
  }
  return 'json';
}

/**
 * The file's bytes, refusing binary data: a NUL byte followed by anything but more NULs is a
 * checkpoint or audio file given by mistake. (Trailing NULs alone are the tail of a JSONL file
 * cut by a crash: its cut line is dropped.)
 */
async function* checkedChunks(path: string, source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let nulTail = false;
  const binary = () => new UsageError(`${path} is not a tts-critic report (CSV, JSON or JSONL): it holds binary data`);
  for await (const chunk of source) {
    const nul = chunk.indexOf(0);
    if (nulTail) {
      if (chunk.some((byte) => byte !== 0)) throw binary();
    } else if (nul >= 0) {
      for (let i = nul; i < chunk.length; i++) if (chunk[i] !== 0) throw binary();
      nulTail = true;
    }
    yield chunk;
  }
}

/** The file's bytes; a file that cannot be read is a UsageError naming it. */
async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${messageOf(error)}`);
  }
}

/** The file as text pieces (UTF-8, BOM removed), refusing binary data. */
async function* textChunks(path: string, source: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let first = true;
  for await (const chunk of checkedChunks(path, source)) {
    let text = decoder.write(chunk);
    if (first && text.length > 0) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

let csvModule: { parse: (options: CsvOptions) => CsvParser } | undefined;

/** csv-parse's streaming parser, loaded on first use (scoring should not pay its start-up). */
function csvStreamParser(options: CsvOptions): CsvParser {
  csvModule ??= createRequire(import.meta.url)('csv-parse') as { parse: (options: CsvOptions) => CsvParser };
  return csvModule.parse(options);
}

/** A numeric or text cell from its CSV text: empty numeric cells are null. */
function parseCsvCell(column: string, text: string, where: () => string): CellValue {
  if (isTextColumn(column)) return csvText(text);
  if (text === '') return null;
  const value = parseDecimal(text);
  if (value === null) throw new UsageError(`${where()}, column "${column}": expected a number, got "${text}"`);
  return value;
}

/** Mutable state a format reader fills in as it goes. */
interface ReadState {
  /** How a JSON record becomes a row: flat (`rowFromJsonRecord`) or lean (`checkJsonRecord`). */
  readonly toRow: typeof rowFromJsonRecord;
  /** JSONL: the lines of the batch just read. */
  texts: string[] | null;
  columns: string[];
  model: ModelInfo | null;
  partialLine: boolean;
  count: number;
}

async function* csvRows(path: string, source: AsyncIterable<Buffer>, state: ReadState): AsyncGenerator<Row[]> {
  const parser = csvStreamParser({ bom: true, skip_empty_lines: true, relax_column_count: false });
  const input = Readable.from(checkedChunks(path, source));
  // A binary file is refused by checkedChunks: that message wins over the parser's.
  let inputError: unknown = null;
  input.on('error', (error) => {
    inputError = error;
    parser.destroy(error);
  });
  input.pipe(parser);
  let header: string[] | null = null;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = record;
        const missing = REQUIRED_COLUMNS.filter((column) => !header!.includes(column));
        if (missing.length > 0) {
          throw new UsageError(`${path} does not look like a tts-critic report: no ${missing.map((c) => `"${c}"`).join(', ')} column`);
        }
        const seen = new Set<string>();
        for (const column of header) {
          if (seen.has(column)) throw new UsageError(`cannot read ${path}: column "${column}" appears twice in the header`);
          seen.add(column);
        }
        state.columns = [...header];
        continue;
      }
      const index = state.count;
      const row: Record<string, CellValue> = {};
      for (let i = 0; i < header.length; i++) {
        row[header[i]!] = parseCsvCell(header[i]!, record[i] ?? '', () => `${path}: record ${index + 1}`);
      }
      state.count++;
      yield [row];
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (inputError instanceof UsageError) throw inputError;
    throw new UsageError(`cannot read ${path} as CSV: ${messageOf(inputError ?? error)}`);
  } finally {
    input.destroy();
    parser.destroy();
  }
}

async function* jsonlRows(path: string, source: AsyncIterable<Buffer>, state: ReadState): AsyncGenerator<Row[]> {
  const collector = new ColumnCollector();
  state.columns = collector.columns;
  let carry = '';
  let lineNumber = 0;
  for await (const text of textChunks(path, source)) {
    const lines = (carry + text).split('\n');
    // After the last '\n' split leaves '' or the start of a line that goes on in the next chunk.
    carry = lines.pop()!;
    // One batch per read: one await per 64 KiB, not one per record.
    const batch: Row[] = [];
    const texts: string[] = [];
    for (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new UsageError(`cannot read ${path}: line ${lineNumber} is not JSON (${(error as Error).message})`);
      }
      const number = lineNumber;
      const row = state.toRow(value, () => `${path}: line ${number}`, collector);
      state.count++;
      batch.push(row);
      texts.push(line);
    }
    state.texts = texts;
    if (batch.length > 0) yield batch;
  }
  if (carry.trim() !== '') {
    // A last line without '\n' is kept when it is a whole record (a file from another tool
    // without the final newline) and dropped when it is a record cut short.
    let value: unknown;
    try {
      value = JSON.parse(carry);
    } catch {
      state.partialLine = true;
      return;
    }
    const row = state.toRow(value, `${path}: line ${lineNumber + 1}`, collector);
    state.count++;
    state.texts = [carry];
    yield [row];
  }
}

type JsonEvent = { kind: 'record'; value: unknown; index: number } | { kind: 'top'; key: string; value: unknown };

/**
 * A JSON document, streamed. @streamparser/json (pinned; a small, dependency-free, maintained
 * streaming parser with TypeScript types, ESM and CJS builds) hands over each `files[i]`
 * record as soon as it is complete and, with `keepStack: false`, forgets it afterwards, so
 * memory holds one record whatever the document's size. Only the keys a report needs are
 * picked out: `tool`, `version`, `model` and the records.
 */
async function* jsonRows(path: string, source: AsyncIterable<Buffer>, state: ReadState): AsyncGenerator<Row[]> {
  const { JSONParser } = await import('@streamparser/json');
  const parser = new JSONParser({ paths: ['$.tool', '$.model', '$.files.*'], keepStack: false });
  const events: JsonEvent[] = [];
  let failure: Error | null = null;
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 2 && typeof key === 'number') events.push({ kind: 'record', value, index: key });
    else if (stack.length === 1 && typeof key === 'string') events.push({ kind: 'top', key, value });
  };
  parser.onError = (error) => {
    failure ??= error;
  };
  const incomplete = (error: Error) =>
    new UsageError(
      `cannot read ${path}: not complete JSON (${error.message}); ` +
        'a report written to a redirected stdout by a run that was stopped is cut short: use -o FILE, which is always complete',
    );
  const collector = new ColumnCollector();
  state.columns = collector.columns;
  let tool: unknown = undefined;
  let model: unknown = undefined;
  const drain = function* (): Generator<Row[]> {
    const batch: Row[] = [];
    for (const event of events.splice(0)) {
      if (event.kind === 'top') {
        if (event.key === 'tool') tool = event.value;
        else model = event.value;
        continue;
      }
      const row = state.toRow(event.value, `${path}: files[${event.index}]`, collector);
      state.count++;
      batch.push(row);
    }
    if (batch.length > 0) yield batch;
  };
  for await (const text of textChunks(path, source)) {
    if (parser.isEnded) {
      if (text.trim() !== '') failure ??= new Error('unexpected text after the end of the document');
      break;
    }
    try {
      parser.write(text);
    } catch (error) {
      failure ??= error as Error;
    }
    if (failure) throw incomplete(failure);
    yield* drain();
  }
  if (!parser.isEnded) {
    try {
      parser.end();
    } catch (error) {
      failure ??= error as Error;
    }
    failure ??= new Error('the document is not complete');
  }
  if (failure) throw incomplete(failure);
  yield* drain();
  if (tool !== 'tts-critic') {
    throw new UsageError(`cannot read ${path}: not a tts-critic JSON report (expected an object with "tool": "tts-critic")`);
  }
  state.model = model === null || model === undefined ? null : modelFromJson(model, path);
}

export interface OpenReportOptions {
  /**
   * Rows of JSON and JSONL reports as `LeanRow`s: each record checked as always but left as
   * parsed, per-layer values nested (read them with `leanCell`). For passes that read a few
   * columns of every record: building a flat row of a hundred-odd cells costs more than
   * parsing the record. CSV rows are flat either way.
   */
  readonly lean?: boolean;
}

/**
 * Opens a report for streaming; the format comes from the extension (`.csv`, `.json`,
 * `.jsonl`, `.ndjson`) or, failing that, from the start of the content. A view (`.html`,
 * `.xml`, `.md`) is refused, and so is a file that cannot be read. Malformed content is a
 * UsageError thrown while iterating.
 */
export async function openReport(path: string, format?: ReadableFormat, options: OpenReportOptions = {}): Promise<ReportStream> {
  const named = format ?? formatFromPath(path);
  if (named !== null && !isReadableFormat(named)) {
    throw new UsageError(`cannot read ${path}: a ${named} report is a view, not scores; give the CSV, JSON or JSONL scores it was made from`);
  }
  // One pass over the file, also to tell its format: a pipe (`--resume <(...)`) can be read once.
  const chunks = fileChunks(path);
  let head: Buffer[] = [];
  let resolved: ReadableFormat;
  if (named !== null) {
    resolved = named;
    // Opening errors (missing file, a folder) are reported now, not at the first row.
    const first = await chunks.next();
    if (!first.done) head.push(first.value);
  } else {
    let size = 0;
    let complete = false;
    while (size < SNIFF_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        complete = true;
        break;
      }
      head.push(next.value);
      size += next.value.length;
    }
    const start = Buffer.concat(head);
    const nul = start.indexOf(0);
    if (nul >= 0 && start.subarray(nul).some((byte) => byte !== 0)) {
      throw new UsageError(`${path} is not a tts-critic report (CSV, JSON or JSONL): it holds binary data`);
    }
    resolved = sniffStart(new StringDecoder('utf8').write(start), complete);
    head = [start];
  }
  const source = (async function* (): AsyncGenerator<Buffer> {
    yield* head.splice(0);
    yield* chunks;
  })();
  const state: ReadState = { toRow: options.lean ? checkJsonRecord : rowFromJsonRecord, texts: null, columns: [], model: null, partialLine: false, count: 0 };
  let started = false;
  const read = { csv: csvRows, jsonl: jsonlRows, json: jsonRows }[resolved];
  const batches = (): AsyncGenerator<Row[]> => {
    if (started) throw new Error(`${path}: a report stream can be read once`);
    started = true;
    return read(path, source, state);
  };
  return {
    source: path,
    format: resolved,
    batches,
    rows() {
      const all = batches();
      return (async function* (): AsyncGenerator<Row> {
        for await (const batch of all) yield* batch;
      })();
    },
    get batchTexts() {
      return state.texts;
    },
    get columns() {
      return state.columns;
    },
    get model() {
      return state.model;
    },
    get partialLine() {
      return state.partialLine;
    },
    get count() {
      return state.count;
    },
  };
}

/** Checks the report's required columns once its rows are read (JSON and JSONL learn their columns as they go). */
export function checkRequiredColumns(stream: ReportStream): void {
  const missing = REQUIRED_COLUMNS.filter((column) => !stream.columns.includes(column));
  if (missing.length > 0 && stream.count > 0) {
    throw new UsageError(`${stream.source} does not look like a tts-critic report: no ${missing.map((c) => `"${c}"`).join(', ')} column`);
  }
}
