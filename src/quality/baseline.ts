/**
 * `--baseline PREVIOUS --max-regression SPEC`: compares this run's per-file scores with a
 * previous report (CSV, JSON or JSONL) and fails the run when files got worse beyond an allowance.
 *
 * Direction. The reference-distance scores `fm`, `mel_l1` (and their per-sub / per-layer
 * columns) and the generator loss `gen` are lower-is-better. `fake` = mean(D(syn)²) and
 * `disc` = real + fake are higher-is-better for the synthesized audio: a discriminator that
 * scores the output as real (D → 1) raises them. `real` depends on the references only and is
 * treated as lower-is-better like everything else. A regression is a change in the worse direction.
 *
 * Default metrics: `fm` and `mel_l1` (the reference-based scores), or `gen` when this run has no
 * `fm` at all (syn-only mode), at 5% per file unless `--max-regression` says otherwise.
 *
 * Percent change is (value − baseline) / |baseline| · 100. Changes no larger than `absTolerance`
 * (default 1e-6, below float32 noise between providers) never count. A baseline of 0 has no
 * percent: an equal value is no change, and a worse one (beyond the tolerance) is a regression
 * whatever the allowance, reported with `changePercent: null`.
 *
 * Matching. Rows are matched by their key (the syn path, or the ref path for a row without
 * one). Rows left over on both sides are then matched by their ref path when it is unique on
 * both sides (`match: 'auto'`), which covers comparing `outputs-v1/` with `outputs-v2/` scored
 * against the same `refs/`. Files only in this run are "new", files only in the baseline
 * "missing"; both are reported, neither fails the run.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { compareKeys, metricDirection, numberCell, rowKey, textCell, type Row } from '../report/columns.js';
import type { ReportData } from '../report/read.js';
import { formatNumber, mean } from '../report/stats.js';
import { oneLine } from '../report/summary.js';
import type { BaselineComparison, Direction, FileChange, MetricChange, MetricCheck, Regression, StatusChange } from '../report/verdicts.js';
import { checkMetricColumn, type ColumnCheckOptions } from './columns.js';
import { testMeanRegression, type MeanRegressionTest, type RegressionTestOptions } from './regression-test.js';
import { describeMismatch, findModelMismatch } from './same-model.js';

export { metricDirection };
export type { BaselineComparison, Direction, FileChange, MetricCheck, Regression, StatusChange };

export const DEFAULT_MAX_REGRESSION_PERCENT = 5;
export const DEFAULT_REGRESSION_METRICS = ['fm', 'mel_l1'] as const;
export const SYN_ONLY_REGRESSION_METRICS = ['gen'] as const;
export const DEFAULT_ABS_TOLERANCE = 1e-6;

export interface MaxRegression {
  /** Percent allowed for the default metrics, or null when only named metrics are checked. */
  readonly defaults: number | null;
  /** Named metrics and their allowed percent (override the default for that metric). */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Parses `--max-regression`: a percent for the default metrics (`5`, `5%`), named metrics
 * (`fm=5,mel_l1=10`), or both (`5,gen=10`). Undefined gives the default, 5% on default metrics.
 */
export function parseMaxRegression(
  text: string | undefined,
  columns: readonly string[],
  flag = '--max-regression',
  options: ColumnCheckOptions = {},
): MaxRegression {
  if (text === undefined) return { defaults: DEFAULT_MAX_REGRESSION_PERCENT, metrics: {} };
  const fail = (what: string): never => {
    const named = options.referenceFree ? 'gen=5,fake=10' : 'fm=5,mel_l1=10';
    throw new UsageError(`invalid ${flag} "${text}": ${what} (example: ${flag} 5 or ${flag} ${named})`);
  };
  const percent = (value: string, what: string): number => {
    const trimmed = value.trim().replace(/%$/, '');
    if (!/^(?:\d+\.?\d*|\.\d+)$/.test(trimmed)) return fail(`expected a percent (a number ≥ 0) ${what}, got "${value.trim()}"`);
    return Number(trimmed);
  };
  let defaults: number | null = null;
  const metrics: Record<string, number> = {};
  const parts = text.split(',');
  if (text.trim() === '') fail('expected a percent or metric=percent pairs');
  for (const part of parts) {
    if (part.trim() === '') fail('empty entry between commas');
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (defaults !== null) fail('more than one percent for the default metrics');
      defaults = percent(part, 'for the default metrics');
      continue;
    }
    const column = part.slice(0, eq).trim();
    if (column === '') fail(`expected a metric name before "="`);
    checkMetricColumn(column, columns, options, fail);
    if (column in metrics) fail(`"${column}" is given twice`);
    metrics[column] = percent(part.slice(eq + 1), `for "${column}"`);
  }
  return { defaults, metrics };
}

export interface CompareOptions {
  readonly maxRegression?: MaxRegression;
  readonly absTolerance?: number;
  /** `auto` (default): key, then unique ref path; `syn`: key only; `ref`: ref path only. */
  readonly match?: 'auto' | 'syn' | 'ref';
  /** This run's model, to check against a JSON baseline's window length. */
  readonly model?: ModelInfo | null;
  /**
   * `--regression-test`: also test each checked metric's mean change (Wilcoxon signed-rank,
   * minimum effect); a significant worsening fails the comparison.
   */
  readonly regressionTest?: RegressionTestOptions | null;
  /**
   * Whether single files beyond their allowance fail the comparison (default true). Off for
   * `--regression-test` without `--max-regression`: the metrics are still the ones the per-file
   * rule would check, but only their means are judged.
   */
  readonly perFile?: boolean;
}

/** Scores from different discriminators are not comparable: refuse rather than report noise. */
function checkSameModel(rows: readonly Row[], baseline: ReportData, model: ModelInfo | null | undefined): void {
  const mismatch = findModelMismatch([
    { source: baseline.source, model: baseline.model, rows: baseline.rows },
    { source: 'this run', model: model ?? null, rows },
  ]);
  if (!mismatch) return;
  const advice = { model: 'score the baseline again with the same model', rate: 'use the same --sample-rate', segment: 'use the same --segment', align: 'use the same --align and --max-offset' }[mismatch.kind];
  throw new UsageError(`cannot compare with baseline ${baseline.source}: ${describeMismatch(mismatch)}; ${advice}`);
}

/**
 * Refuses a baseline scored with another family, weights or window length than `model`, before
 * any scoring (compareWithBaseline checks again, also for callers without a model).
 */
export function checkBaselineModel(baseline: ReportData, model: ModelInfo): void {
  checkSameModel([], baseline, model);
}

/** Pairs up rows: by key first, then (auto/ref) by ref path unique on both remaining sides. */
function matchRows(
  rows: readonly Row[],
  baseline: readonly Row[],
  mode: 'auto' | 'syn' | 'ref',
): { pairs: { row: Row; base: Row; byRef: boolean }[]; newRows: Row[]; missingRows: Row[] } {
  // Later rows with the same key replace earlier ones, as in merge.
  const lastByKey = (list: readonly Row[]): Map<string, Row> => new Map(list.map((row) => [rowKey(row), row]));
  const current = lastByKey(rows);
  const previous = lastByKey(baseline);
  const pairs: { row: Row; base: Row; byRef: boolean }[] = [];
  if (mode !== 'ref') {
    for (const [key, row] of current) {
      const base = previous.get(key);
      if (base) {
        pairs.push({ row, base, byRef: false });
        current.delete(key);
        previous.delete(key);
      }
    }
  }
  if (mode !== 'syn') {
    const byRef = (map: Map<string, Row>): Map<string, string[]> => {
      const index = new Map<string, string[]>();
      for (const [key, row] of map) {
        const ref = textCell(row, 'ref');
        if (ref !== '') index.set(ref, [...(index.get(ref) ?? []), key]);
      }
      return index;
    };
    const currentRefs = byRef(current);
    const previousRefs = byRef(previous);
    for (const [ref, keys] of currentRefs) {
      const baseKeys = previousRefs.get(ref);
      if (keys.length !== 1 || baseKeys?.length !== 1) continue;
      pairs.push({ row: current.get(keys[0]!)!, base: previous.get(baseKeys[0]!)!, byRef: true });
      current.delete(keys[0]!);
      previous.delete(baseKeys[0]!);
    }
  }
  return { pairs, newRows: [...current.values()], missingRows: [...previous.values()] };
}

function changePercent(value: number, base: number): number | null {
  if (base === 0) return value === 0 ? 0 : null;
  return ((value - base) / Math.abs(base)) * 100;
}

/**
 * Compares this run's rows with a baseline report. Throws a UsageError when the baseline was
 * scored with another model or lacks a metric that is checked.
 */
export function compareWithBaseline(rows: readonly Row[], baseline: ReportData, options: CompareOptions = {}): BaselineComparison {
  checkSameModel(rows, baseline, options.model);
  const spec = options.maxRegression ?? { defaults: DEFAULT_MAX_REGRESSION_PERCENT, metrics: {} };
  const tolerance = options.absTolerance ?? DEFAULT_ABS_TOLERANCE;
  const perFile = options.perFile ?? true;

  const allowances = new Map<string, number>();
  if (spec.defaults !== null) {
    const synOnly = !rows.some((row) => row['status'] === 'ok' && numberCell(row, 'fm') !== null);
    for (const column of synOnly ? SYN_ONLY_REGRESSION_METRICS : DEFAULT_REGRESSION_METRICS) allowances.set(column, spec.defaults);
  }
  for (const [column, percent] of Object.entries(spec.metrics)) allowances.set(column, percent);
  // Metrics named by the user must exist in the baseline; default ones may just be empty there.
  for (const column of Object.keys(spec.metrics)) {
    if (baseline.rows.length > 0 && !baseline.columns.includes(column)) {
      throw new UsageError(`cannot compare "${column}" with baseline ${baseline.source}: it has no such column`);
    }
  }

  const { pairs, newRows, missingRows } = matchRows(rows, baseline.rows, options.match ?? 'auto');
  const regressions: Regression[] = [];
  const statusChanged: StatusChange[] = [];
  const changes: FileChange[] = [];
  const values = new Map<string, { current: number[]; previous: number[] }>([...allowances.keys()].map((c) => [c, { current: [], previous: [] }]));

  for (const { row, base } of pairs) {
    const status = textCell(row, 'status');
    const baselineStatus = textCell(base, 'status');
    if (status !== baselineStatus) statusChanged.push({ file: rowKey(row), status, baselineStatus });
    if (status !== 'ok' || baselineStatus !== 'ok') continue;
    for (const [column, maxPercent] of allowances) {
      const value = numberCell(row, column);
      const previous = numberCell(base, column);
      if (value === null || previous === null) continue;
      values.get(column)!.current.push(value);
      values.get(column)!.previous.push(previous);
      const direction = metricDirection(column);
      const worse = direction === 'lower-is-better' ? value - previous : previous - value;
      const change = changePercent(value, previous);
      const regressed = perFile && worse > tolerance && (change === null || Math.abs(change) > maxPercent);
      const metric: MetricChange = { file: rowKey(row), baselineFile: rowKey(base), column, value, baseline: previous, changePercent: change };
      changes.push({ ...metric, regressed });
      if (regressed) regressions.push({ ...metric, maxPercent, direction });
    }
  }

  regressions.sort((a, b) => {
    const over = (r: Regression): number => (r.changePercent === null ? Infinity : Math.abs(r.changePercent) - r.maxPercent);
    return over(b) - over(a) || compareKeys(a.file, b.file) || compareKeys(a.column, b.column);
  });
  statusChanged.sort((a, b) => compareKeys(a.file, b.file));

  const metrics: MetricCheck[] = [...allowances].map(([column, maxPercent]) => {
    const { current, previous } = values.get(column)!;
    const currentMean = mean(current);
    const previousMean = mean(previous);
    return {
      column,
      maxPercent,
      direction: metricDirection(column),
      compared: current.length,
      mean: currentMean,
      baselineMean: previousMean,
      meanChangePercent: currentMean !== null && previousMean !== null ? changePercent(currentMean, previousMean) : null,
    };
  });

  const meanTests: MeanRegressionTest[] = options.regressionTest
    ? [...allowances.keys()].map((column) => {
        const { current, previous } = values.get(column)!;
        return testMeanRegression(column, metricDirection(column), current, previous, options.regressionTest!);
      })
    : [];

  return {
    source: baseline.source,
    metrics,
    perFile,
    meanTests,
    matched: pairs.length,
    matchedByRef: pairs.filter((p) => p.byRef).length,
    regressions,
    changes,
    newFiles: newRows.map(rowKey).sort(compareKeys),
    missingFiles: missingRows.map(rowKey).sort(compareKeys),
    statusChanged,
    passed: regressions.length === 0 && !meanTests.some((t) => t.failed),
  };
}

function signedPercent(percent: number | null): string {
  if (percent === null) return 'baseline 0';
  return `${percent >= 0 ? '+' : ''}${formatNumber(Number(percent.toFixed(2)))}%`;
}

function listKeys(keys: readonly string[], max: number): string {
  const shown = keys.slice(0, max).map(oneLine).join(', ');
  return keys.length > max ? `${shown}, ... and ${keys.length - max} more` : shown;
}

/** The comparison as lines for stderr (ending in a newline). */
export function formatBaseline(comparison: BaselineComparison, options: { readonly maxListed?: number } = {}): string {
  const max = options.maxListed ?? 10;
  const lines: string[] = [];
  lines.push(
    `baseline ${oneLine(comparison.source)}: ${comparison.matched} files matched` +
      (comparison.matchedByRef > 0 ? ` (${comparison.matchedByRef} by ref path)` : '') +
      `, ${comparison.newFiles.length} new, ${comparison.missingFiles.length} missing`,
  );
  for (const m of comparison.metrics) {
    lines.push(
      `  ${m.column}: mean ${formatNumber(m.mean)} (baseline ${formatNumber(m.baselineMean)}, ${signedPercent(m.meanChangePercent)}) ` +
        `over ${m.compared} files; ${m.direction}` + (comparison.perFile === false ? '' : `, allowed ${formatNumber(m.maxPercent)}% per file`),
    );
  }
  for (const t of comparison.meanTests ?? []) lines.push(`  ${t.message}`);
  if (comparison.regressions.length > 0) {
    lines.push(`regressed beyond the allowance (${comparison.regressions.length}):`);
    for (const r of comparison.regressions.slice(0, max)) {
      lines.push(
        `  ${oneLine(r.file)} ${r.column} ${formatNumber(r.baseline)} -> ${formatNumber(r.value)} ` +
          `(${signedPercent(r.changePercent)}, allowed ${formatNumber(r.maxPercent)}%)`,
      );
    }
    if (comparison.regressions.length > max) lines.push(`  ... and ${comparison.regressions.length - max} more`);
  }
  if (comparison.statusChanged.length > 0) {
    lines.push(
      `status changed: ${listKeys(
        comparison.statusChanged.map((s) => `${s.file} (${s.baselineStatus} -> ${s.status})`),
        max,
      )}`,
    );
  }
  if (comparison.newFiles.length > 0) lines.push(`new (not in baseline): ${listKeys(comparison.newFiles, max)}`);
  if (comparison.missingFiles.length > 0) lines.push(`missing (only in baseline): ${listKeys(comparison.missingFiles, max)}`);
  return `${lines.join('\n')}\n`;
}
