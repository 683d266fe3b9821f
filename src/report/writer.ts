/**
 * Streaming, atomic report writers for every output format (formats.ts lists them; each is a
 * `Formatter` in its own module).
 *
 * Records are written as they come (CSV, JSON, JSONL); whole-document formats (HTML, JUnit,
 * Markdown) are written at `finish`/`abort`, from every row and the verdicts handed to it. With `output` the text goes to a temp file next to it that
 * replaces the output only when the writer is finished (or aborted, see below); without it the
 * text goes to `stream` (stdout) as records come.
 *
 * What `abort()` (SIGINT / SIGTERM) leaves at `output`:
 *  - JSONL: the records written so far (each a whole line), renamed into place.
 *  - CSV: the header and the records written so far, a complete CSV, renamed into place.
 *  - JSON, and the whole-document formats: a complete document with the records written so far
 *    and a summary marked `"interrupted": true`, renamed into place.
 *  - If no record at all was written, nothing: the temp file is deleted and `output` keeps its
 *    previous content (or stays absent), so an immediate Ctrl-C never clobbers a good report.
 * Finished records are kept rather than thrown away because they are what `--resume` continues
 * from and what a user wants to look at after stopping a long run; `output` is still never a
 * cut-short file. On a stream, `abort()` closes the JSON document (so a consumer gets valid JSON
 * with `"interrupted": true`) and otherwise just stops.
 *
 * All file work in `write`, `finish` and `abort` is synchronous, so a signal handler can call
 * `abort()` and exit as soon as the returned promise settles (it waits for the stream only).
 * A process killed outright (SIGKILL) leaves only the hidden temp file (`.<name>.<pid>-<hex>.tmp`,
 * see `leftoverTempFiles`); for JSONL it holds whole lines and can be read by `merge`. Each
 * record is one write(2), so the only way to get a partial line is a kill landing inside that
 * very write (Linux may cut a write short at a page boundary when a fatal signal arrives); the
 * JSONL reader drops such a cut-short last line.
 */
import type { ModelInfo, PairResult } from '../scores.js';
import { columnsFor, subsFromColumns, type LayerCounts, type Row } from './columns.js';
import { FORMATTERS, REPORT_FORMATS, type ReportFormat } from './formats.js';
import type { ReportExtras, ReportFrame } from './formatter.js';
import { resultToRow } from './rows.js';
import { AtomicFileSink, StreamSink, type Sink } from './sink.js';
import { RowSample } from './html-sample.js';
import { SummaryAccumulator, type Summary, type SummaryOptions } from './summary.js';
import type { BaselineComparison, FileChange } from './verdicts.js';
import { ViewAccumulator, type ViewDigest } from './views.js';

/** The changes handed over with the listed rows, for the metrics the comparison checked in the end. */
function keptChanges(changes: readonly FileChange[], baseline: BaselineComparison): FileChange[] {
  const checked = new Set(baseline.metrics.map((m) => m.column));
  return changes.filter((c) => checked.has(c.column));
}

export { REPORT_FORMATS, type ReportFormat };

export interface ReportWriterOptions {
  readonly format: ReportFormat;
  /** `-o FILE`: written atomically. When absent, text goes to `stream`. */
  readonly output?: string;
  /** Destination without `output` (default `process.stdout`). Never ended by the writer. */
  readonly stream?: NodeJS.WritableStream;
  /**
   * What was scored with. Needed by `write(result)` and for the JSON document's `model`; may be
   * null for `writeRow`-only writers (merge of CSV/JSONL shards), which then need `columns`.
   */
  readonly model: ModelInfo | null;
  /** The tool version for the JSON document. */
  readonly version: string;
  /** Per-sub layer counts: adds `fm_<sub>_<i>` columns to CSV (JSON always carries `fm_layers`). */
  readonly layers?: LayerCounts;
  /** Explicit column list (merge); default `columnsFor(model.subs, layers)`. */
  readonly columns?: readonly string[];
  /** Rows written before any new one, e.g. the records kept by `--resume`. */
  readonly initialRows?: readonly Row[];
  /** How the writer's summary (`summary()`, and `finish()` without one) ranks and lists. */
  readonly summaryOptions?: SummaryOptions;
  /** Most files an HTML page lists (default 20,000); statistics and plots cover every one. */
  readonly htmlRows?: number;
  /** Gather the views' digest (`digest()`) whatever the format, e.g. for a GitHub step summary. */
  readonly digest?: boolean;
  /** Start with writes batched (see `batchWrites`). */
  readonly batchWrites?: boolean;
}

/** How much text batched writes gather before one write (below V8's large-object size, see read-stream.ts). */
const BATCH_BYTES = 64 << 10;

export interface ReportWriter {
  readonly format: ReportFormat;
  /** The columns rows are written with (CSV header; key order of JSON records). */
  readonly columns: readonly string[];
  /** Final output path, or null when writing to a stream. */
  readonly path: string | null;
  /** Temp file being written (file output, while open). */
  readonly tempPath: string | null;
  /** Records written so far, including `initialRows`. */
  readonly count: number;
  /** Writes one scored pair as soon as it finishes. */
  write(result: PairResult): void;
  /**
   * Writes a ready-made row (merge, resume). `changes`: its comparison with a `--baseline`
   * (BaselineComparer.add), which an HTML page marks in the rows it lists.
   */
  writeRow(row: Row, changes?: readonly FileChange[]): void;
  /**
   * Writes rows whose records were made elsewhere in this writer's format, which must be CSV
   * (`merge` makes them straight from JSON record text): `text` holds the records of `rows`, in
   * order, for the writer's columns. The rows feed the summary and views; they need only the
   * cells those read. The writer is done with `text` when this returns.
   */
  writeRendered(rows: readonly Row[], text: Uint8Array): void;
  /** The summary of every row written so far (`summaryOptions`), gathered as they were written. */
  summary(): Summary;
  /**
   * Whether the output shows the row of `key` with its baseline changes (the rows an HTML page
   * lists); asked once every row is written, for changes known only then (matches by ref path).
   */
  lists(key: string): boolean;
  /** The views' digest of every row written so far, when the format shows one or `digest` was asked for. */
  digest(): ViewDigest | null;
  /** Drops the output: the temp file is deleted and `output` keeps what it had (a stream just stops). */
  discard(): Promise<void>;
  /**
   * Completes the output. JSON and the whole-document formats get `summary` (computed from the
   * rows when omitted); the whole-document formats also show the gates, baseline comparison and
   * media of `extras`.
   */
  finish(summary?: Summary, extras?: ReportExtras): Promise<void>;
  /** Stops early (see the module comment); a no-op after `finish` or a previous `abort`. */
  abort(summary?: Summary, extras?: ReportExtras): Promise<void>;
  /**
   * Batches writes (on) or writes each record as it comes (off, the default; turning it off
   * writes what was gathered). Batched, records go out about 64 KiB at a time, still whole:
   * a million records rewritten by merge or carried over by `--resume` cost a few thousand
   * writes instead of a million. Newly scored records are written one by one, so a run that is
   * killed outright loses none and `tail -f` sees each as it finishes.
   */
  batchWrites(on: boolean): void;
}

type State = 'open' | 'finished' | 'aborted' | 'failed';

export function createReportWriter(options: ReportWriterOptions): ReportWriter {
  const { format, model } = options;
  if (!REPORT_FORMATS.includes(format)) {
    throw new Error(`unknown report format "${String(format)}": expected one of ${REPORT_FORMATS.join(', ')}`);
  }
  if (!options.columns && !model) throw new Error('createReportWriter needs a model or an explicit column list');
  const columns: readonly string[] = options.columns ?? columnsFor(model!.subs, options.layers, model!.nativeLosses);
  const subs = model ? model.subs : subsFromColumns(columns);
  const frame: ReportFrame = { version: options.version, model, columns, subs };
  const formatter = FORMATTERS[format];
  const sink: Sink = options.output !== undefined ? new AtomicFileSink(options.output) : new StreamSink(options.stream ?? process.stdout);

  let state: State = 'open';
  let count = 0;
  // Nothing keeps the rows themselves but JUnit (a testcase each) and, bounded, the HTML page:
  // the summary and the views' statistics are gathered a few numbers per row.
  const summary = new SummaryAccumulator(options.summaryOptions);
  const digest = formatter.digest || options.digest ? new ViewAccumulator(columns, subs) : null;
  const kept: Row[] | null = formatter.rows === 'all' ? [] : null;
  const sample = formatter.rows === 'sample' ? new RowSample(columns, subs, options.htmlRows) : null;

  /** The keys `lists` answers from, worked out on its first call. */
  let listed: Set<string> | null = null;

  let batching = options.batchWrites ?? false;
  let pending: string[] = [];
  let pendingLength = 0;
  const write = (text: string | Uint8Array): void => {
    try {
      sink.write(text);
    } catch (error) {
      // A failed write may have left part of a record: the output must not be renamed into place.
      state = 'failed';
      throw error;
    }
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    pendingLength = 0;
    write(text);
  };
  const emit = (text: string): void => {
    if (text === '') return;
    pending.push(text);
    pendingLength += text.length;
    if (!batching || pendingLength >= BATCH_BYTES) flush();
  };

  /** What every written row feeds, whoever made its record. */
  const account = (row: Row, changes?: readonly FileChange[]): void => {
    count++;
    summary.add(row);
    digest?.add(row);
    kept?.push(row);
    sample?.add(row, changes);
  };
  const writeRow = (row: Row, changes?: readonly FileChange[]): void => {
    if (state !== 'open') throw new Error(`cannot write to a report writer that is ${state}`);
    if (formatter.record) emit(formatter.record(row, count, frame));
    account(row, changes);
  };
  const writeRendered = (rows: readonly Row[], text: Uint8Array): void => {
    if (state !== 'open') throw new Error(`cannot write to a report writer that is ${state}`);
    if (format !== 'csv') throw new Error(`writeRendered takes CSV records, and this writer writes ${format}`);
    flush();
    if (text.length > 0) write(text);
    for (const row of rows) account(row);
  };

  try {
    if (formatter.head) emit(formatter.head(frame));
    for (const row of options.initialRows ?? []) writeRow(row);
  } catch (error) {
    void sink.discard();
    throw error;
  }

  const close = (given: Summary | undefined, interrupted: boolean, extras: ReportExtras = {}): Promise<void> => {
    if (formatter.tail) {
      const base = given ?? summary.result();
      const selected = sample?.result();
      const baseline = extras.baseline ?? null;
      emit(
        formatter.tail({
          ...frame,
          rows: kept ?? selected?.rows ?? [],
          ...(digest ? { digest: digest.result() } : {}),
          summary: interrupted ? { ...base, interrupted: true } : base,
          gates: extras.gates ?? [],
          // The page marks the changes of the rows it lists, handed over with them (writeRow).
          baseline: baseline && selected ? { ...baseline, changes: [...keptChanges(selected.changes, baseline), ...baseline.changes] } : baseline,
          media: extras.media ?? new Map(),
        }),
      );
    }
    flush();
    return sink.commit();
  };

  return {
    format,
    columns,
    get path() {
      return sink.path;
    },
    get tempPath() {
      return state === 'open' ? sink.tempPath : null;
    },
    get count() {
      return count;
    },
    write(result: PairResult): void {
      if (!model) throw new Error('write(result) needs the writer to be created with a model');
      writeRow(resultToRow(result, model));
    },
    writeRow,
    writeRendered,
    batchWrites(on: boolean): void {
      batching = on;
      if (!on && state === 'open') flush();
    },
    summary: () => summary.result(),
    lists(key: string): boolean {
      listed ??= sample ? sample.keys() : new Set();
      return listed.has(key);
    },
    digest: () => digest?.result() ?? null,
    discard(): Promise<void> {
      if (state === 'finished' || state === 'aborted') return Promise.resolve();
      state = 'aborted';
      pending = [];
      return sink.discard();
    },
    finish(summary?: Summary, extras?: ReportExtras): Promise<void> {
      if (state !== 'open') return Promise.reject(new Error(`cannot finish a report writer that is ${state}`));
      try {
        const done = close(summary, false, extras);
        state = 'finished';
        return done;
      } catch (error) {
        state = 'failed';
        void sink.discard();
        return Promise.reject(error);
      }
    },
    abort(summary?: Summary, extras?: ReportExtras): Promise<void> {
      if (state === 'finished' || state === 'aborted') return Promise.resolve();
      if (state === 'failed') {
        state = 'aborted';
        return sink.discard();
      }
      state = 'aborted';
      try {
        // A file output with nothing in it is dropped rather than put over a previous report;
        // a stream has already received the JSON head, which must be closed to stay valid.
        if (count === 0 && sink.path !== null) return sink.discard();
        return close(summary, true, extras);
      } catch (error) {
        void sink.discard();
        return Promise.reject(error);
      }
    },
  };
}
