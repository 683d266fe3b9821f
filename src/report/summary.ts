/**
 * The run summary: counts, statistics of the main metrics over `ok` rows, the worst files and
 * the list of failures. The same object goes into the JSON document and, through
 * `formatSummary`, to stderr as a fixed-width table.
 */
import { compareKeys, metricDirection, numberCell, rowKey, textCell, type Row } from './columns.js';
import { BoundedHeap, FloatColumn } from './compact.js';
import { describeSorted, type MetricStats } from './stats.js';

export type { MetricStats } from './stats.js';

/** Metrics the summary always reports; `fm`, `disc`, `mel_l1` and `mel_dtw` are null in syn-only mode. */
export const DEFAULT_SUMMARY_METRICS = ['fm', 'gen', 'disc', 'mel_l1', 'mel_dtw'] as const;

export interface WorstFile {
  readonly ref: string;
  readonly syn: string;
  readonly value: number;
}

export interface FailedFile {
  readonly ref: string;
  readonly syn: string;
  readonly status: string;
  readonly error: string;
}

export interface Summary {
  /** All rows, whatever their status. */
  readonly files: number;
  readonly ok: number;
  readonly error: number;
  readonly unpaired: number;
  /** Per metric (defaults first, then the ones asked for), over `ok` rows with a value. */
  readonly metrics: Readonly<Record<string, MetricStats>>;
  /**
   * The worst files by `metric`: highest first, or lowest first for a higher-is-better metric
   * (`fake`, `disc`; see `metricDirection`). `metric` is null when no ok row has a value for it.
   */
  readonly worst: { readonly metric: string | null; readonly files: readonly WorstFile[] };
  /**
   * The rows that are not ok, in row order: the first `LISTED_FAILURES` of them (all of them are
   * `files - ok`, see `failureCount`; every record keeps its own status and error). A run where a
   * million files fail must not hold a million messages.
   */
  readonly errors: readonly FailedFile[];
  /** True in an output closed early by an interruption (only finished files are included). */
  readonly interrupted: boolean;
}

/** How many failed files a summary lists. */
export const LISTED_FAILURES = 1000;

/** All the rows of a summary that are not ok (its `errors` lists the first of them). */
export function failureCount(summary: Pick<Summary, 'files' | 'ok'>): number {
  return summary.files - summary.ok;
}

export interface SummaryOptions {
  /** Extra metric columns to report after the defaults (e.g. `fm_p2`). */
  readonly metrics?: readonly string[];
  /**
   * Column the worst files are ranked by (worst first, see `Summary.worst`). Default `fm`, or `gen` when no ok row
   * has an `fm` (syn-only runs), since `gen` is then the only per-file quality score.
   */
  readonly worstBy?: string;
  /** How many worst files to list (default 5). */
  readonly worstCount?: number;
}

interface RankedFile extends WorstFile {
  readonly key: string;
}

/**
 * The summary built one row at a time: counts, one float64 column per summarized metric, a
 * bounded heap of the worst files and the list of rows not scored. Memory per `ok` file is 8
 * bytes per summarized metric, whatever the rows hold; `summarize(rows)` is this over a list.
 */
export class SummaryAccumulator {
  private files = 0;
  private ok = 0;
  private error = 0;
  private unpaired = 0;
  private readonly columns = new Map<string, FloatColumn>();
  /** Candidates for the worst list: the asked column, or both `fm` and `gen` until it is known which one has values. */
  private readonly worst = new Map<string, BoundedHeap<RankedFile>>();
  private readonly errors: FailedFile[] = [];

  constructor(private readonly options: SummaryOptions = {}) {
    for (const column of [...DEFAULT_SUMMARY_METRICS, ...(options.metrics ?? [])]) {
      if (!this.columns.has(column)) this.columns.set(column, new FloatColumn());
    }
    for (const column of options.worstBy !== undefined ? [options.worstBy] : ['fm', 'gen']) {
      const sign = metricDirection(column) === 'higher-is-better' ? -1 : 1;
      this.worst.set(
        column,
        new BoundedHeap<RankedFile>(options.worstCount ?? 5, (a, b) => sign * (b.value - a.value) || compareKeys(a.key, b.key)),
      );
    }
  }

  add(row: Row): void {
    this.files++;
    const status = row['status'];
    if (status !== 'ok') {
      if (status === 'error') this.error++;
      else if (status === 'unpaired') this.unpaired++;
      if (this.errors.length < LISTED_FAILURES) {
        this.errors.push({ ref: textCell(row, 'ref'), syn: textCell(row, 'syn'), status: textCell(row, 'status'), error: textCell(row, 'error') });
      }
      return;
    }
    this.ok++;
    for (const [column, values] of this.columns) {
      const value = numberCell(row, column);
      if (value !== null) values.push(value);
    }
    for (const [column, heap] of this.worst) {
      const value = numberCell(row, column);
      if (value === null) continue;
      const candidate = { ref: textCell(row, 'ref'), syn: textCell(row, 'syn'), value, key: '' };
      const key = rowKey(row);
      if (heap.accepts({ ...candidate, key })) heap.offer({ ...candidate, key });
    }
  }

  /** The summary of every row added so far (sorts the metric columns in place). */
  result(): Summary {
    const metrics: Record<string, MetricStats> = {};
    for (const [column, values] of this.columns) metrics[column] = describeSorted(values.values().sort());
    let worstBy: string | null = this.options.worstBy ?? 'fm';
    if (this.options.worstBy === undefined && (this.columns.get('fm')?.length ?? 0) === 0) worstBy = 'gen';
    const ranked = this.worst.get(worstBy)!.sorted();
    if (ranked.length === 0) worstBy = null;
    return {
      files: this.files,
      ok: this.ok,
      error: this.error,
      unpaired: this.unpaired,
      metrics,
      worst: { metric: worstBy, files: ranked.map(({ ref, syn, value }) => ({ ref, syn, value })) },
      errors: [...this.errors],
      interrupted: false,
    };
  }
}

export function summarize(rows: readonly Row[], options: SummaryOptions = {}): Summary {
  const accumulator = new SummaryAccumulator(options);
  for (const row of rows) accumulator.add(row);
  return accumulator.result();
}

/**
 * Text safe to print on one terminal line: control characters (including C1 and the ESC of
 * terminal escape sequences a hostile file name could carry) are shown escaped.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** A table cell: five significant digits, exponent form for very small or large magnitudes. */
export function formatCell(value: number | null): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(3);
  return value.toPrecision(5);
}

export interface FormatSummaryOptions {
  /** How many failures to list before "... and N more" (default 10). */
  readonly maxErrors?: number;
}

/** The summary as a fixed-width text table for stderr, ending in a newline. */
export function formatSummary(summary: Summary, options: FormatSummaryOptions = {}): string {
  const lines: string[] = [];
  lines.push(
    `tts-critic: ${summary.files} file${summary.files === 1 ? '' : 's'}: ` +
      `${summary.ok} ok, ${summary.error} error, ${summary.unpaired} unpaired` +
      (summary.interrupted ? ' (interrupted: only files finished before the stop)' : ''),
  );
  const names = Object.keys(summary.metrics);
  const nameWidth = Math.max(6, ...names.map((name) => name.length));
  const numberWidth = 11;
  const header = ['n', 'mean', 'median', 'p95', 'min', 'max'];
  lines.push(['metric'.padEnd(nameWidth), ...header.map((h, i) => h.padStart(i === 0 ? 6 : numberWidth))].join(' '));
  for (const name of names) {
    const stats = summary.metrics[name]!;
    const cells = [stats.mean, stats.median, stats.p95, stats.min, stats.max].map((v) => formatCell(v).padStart(numberWidth));
    lines.push([oneLine(name).padEnd(nameWidth), String(stats.count).padStart(6), ...cells].join(' '));
  }
  if (summary.worst.metric !== null && summary.worst.files.length > 0) {
    lines.push(`worst by ${summary.worst.metric}:`);
    for (const file of summary.worst.files) {
      lines.push(`  ${formatCell(file.value).padStart(numberWidth)}  ${oneLine(file.syn || file.ref)}`);
    }
  }
  const failures = failureCount(summary);
  if (failures > 0) {
    const max = options.maxErrors ?? 10;
    lines.push(`not scored (${failures}):`);
    const shown = summary.errors.slice(0, max);
    for (const failed of shown) {
      // Messages usually start with the file they are about; do not print the path twice.
      const file = oneLine(failed.syn || failed.ref);
      const message = oneLine(failed.error);
      lines.push(`  ${failed.status.padEnd(8)}  ${message.startsWith(`${file}: `) || !file ? message : `${file}: ${message}`}`);
    }
    if (failures > shown.length) lines.push(`  ... and ${failures - shown.length} more`);
  }
  return `${lines.join('\n')}\n`;
}
