/**
 * The run summary: counts, statistics of the main metrics over `ok` rows, the worst files and
 * the list of failures. The same object goes into the JSON document and, through
 * `formatSummary`, to stderr as a fixed-width table.
 */
import { compareKeys, metricDirection, numberCell, rowKey, textCell, type Row } from './columns.js';
import { describe, type MetricStats } from './stats.js';

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
  /** Every row that is not ok, in row order. */
  readonly errors: readonly FailedFile[];
  /** True in an output closed early by an interruption (only finished files are included). */
  readonly interrupted: boolean;
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

function valuesOf(rows: readonly Row[], column: string): number[] {
  const values: number[] = [];
  for (const row of rows) {
    const value = numberCell(row, column);
    if (value !== null) values.push(value);
  }
  return values;
}

export function summarize(rows: readonly Row[], options: SummaryOptions = {}): Summary {
  const okRows = rows.filter((row) => row['status'] === 'ok');
  const metrics: Record<string, MetricStats> = {};
  for (const column of [...DEFAULT_SUMMARY_METRICS, ...(options.metrics ?? [])]) {
    if (!(column in metrics)) metrics[column] = describe(valuesOf(okRows, column));
  }
  let worstBy: string | null = options.worstBy ?? 'fm';
  if (options.worstBy === undefined && valuesOf(okRows, 'fm').length === 0) worstBy = 'gen';
  const sign = metricDirection(worstBy) === 'higher-is-better' ? -1 : 1;
  const ranked = okRows
    .map((row) => ({ row, value: numberCell(row, worstBy!) }))
    .filter((entry): entry is { row: Row; value: number } => entry.value !== null)
    .sort((a, b) => sign * (b.value - a.value) || compareKeys(rowKey(a.row), rowKey(b.row)));
  if (ranked.length === 0) worstBy = null;
  return {
    files: rows.length,
    ok: okRows.length,
    error: rows.filter((row) => row['status'] === 'error').length,
    unpaired: rows.filter((row) => row['status'] === 'unpaired').length,
    metrics,
    worst: {
      metric: worstBy,
      files: ranked.slice(0, options.worstCount ?? 5).map(({ row, value }) => ({
        ref: textCell(row, 'ref'),
        syn: textCell(row, 'syn'),
        value,
      })),
    },
    errors: rows
      .filter((row) => row['status'] !== 'ok')
      .map((row) => ({
        ref: textCell(row, 'ref'),
        syn: textCell(row, 'syn'),
        status: textCell(row, 'status'),
        error: textCell(row, 'error'),
      })),
    interrupted: false,
  };
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
  if (summary.errors.length > 0) {
    const max = options.maxErrors ?? 10;
    lines.push(`not scored (${summary.errors.length}):`);
    for (const failed of summary.errors.slice(0, max)) {
      // Messages usually start with the file they are about; do not print the path twice.
      const file = oneLine(failed.syn || failed.ref);
      const message = oneLine(failed.error);
      lines.push(`  ${failed.status.padEnd(8)}  ${message.startsWith(`${file}: `) || !file ? message : `${file}: ${message}`}`);
    }
    if (summary.errors.length > max) lines.push(`  ... and ${summary.errors.length - max} more`);
  }
  return `${lines.join('\n')}\n`;
}
