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
import { BoundedHeap, CodedTexts, FloatBlocks, FloatColumn, RunningMean } from '../report/compact.js';
import { leanCell } from '../report/json.js';
import { pause } from '../util/yield.js';
import { BaselineEntries } from './baseline-entries.js';
import { UniqueRefs, UnmatchedRows } from './unmatched-rows.js';
import { checkRequiredColumns, openReport } from '../report/read-stream.js';
import { formatNumber } from '../report/stats.js';
import { oneLine } from '../report/summary.js';
import { LISTED_PER_KIND, type BaselineComparison, type Direction, type FileChange, type MetricChange, type MetricCheck, type Regression, type StatusChange } from '../report/verdicts.js';
import { checkMetricColumn, type ColumnCheckOptions } from './columns.js';
import { testMeanRegression, type MeanRegressionTest, type RegressionTestOptions } from './regression-test.js';
import { ModelDescriptions, describeMismatch, findModelMismatch, type ScoredSet } from './same-model.js';

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

/** A baseline report as far as a comparison needs it (see `BaselineIndex`), or a whole one. */
export type BaselineSource = ReportData | BaselineIndex;

function baselineSet(baseline: BaselineSource): ScoredSet {
  return baseline instanceof BaselineIndex
    ? { source: baseline.source, model: baseline.model, descriptions: baseline.descriptions, rates: baseline.rates }
    : { source: baseline.source, model: baseline.model, rows: baseline.rows };
}

/** Scores from different discriminators are not comparable: refuse rather than report noise. */
function checkSameModel(current: Omit<ScoredSet, 'source' | 'model'>, baseline: BaselineSource, model: ModelInfo | null | undefined): void {
  const base = baselineSet(baseline);
  const mismatch = findModelMismatch([base, { ...current, source: 'this run', model: model ?? null }]);
  if (!mismatch) return;
  const advice = { model: 'score the baseline again with the same model', rate: 'use the same --sample-rate', segment: 'use the same --segment', align: 'use the same --align and --max-offset' }[mismatch.kind];
  throw new UsageError(`cannot compare with baseline ${baseline.source}: ${describeMismatch(mismatch)}; ${advice}`);
}

/**
 * Refuses a baseline scored with another family, weights or window length than `model`, before
 * any scoring (the comparison checks again, also for callers without a model). `descriptions`
 * are this run's rows' own model columns when they are known up front (merged reports).
 */
export function checkBaselineModel(baseline: BaselineSource, model: ModelInfo | null, descriptions: readonly string[] = []): void {
  checkSameModel({ descriptions }, baseline, model);
}

/** The metrics a comparison may check: the defaults of both modes and the named ones. */
function candidateMetrics(spec: MaxRegression): Map<string, number> {
  const candidates = new Map<string, number>();
  if (spec.defaults !== null) {
    for (const column of [...DEFAULT_REGRESSION_METRICS, ...SYN_ONLY_REGRESSION_METRICS]) candidates.set(column, spec.defaults);
  }
  for (const [column, percent] of Object.entries(spec.metrics)) candidates.set(column, percent);
  return candidates;
}

/** A metric of a flat or lean row (a per-layer one may be asked for), NaN when missing. */
function metricOf(row: Row, column: string): number {
  const value = leanCell(row, column);
  return typeof value === 'number' && Number.isFinite(value) ? value : NaN;
}

/**
 * A baseline report in compact form, built a row at a time: per file key its status, ref path
 * and the few metrics a comparison can check (the default ones and those named in
 * `--max-regression`), packed in float64 blocks, and its status as a byte. The keys and refs are
 * held off the JavaScript heap (`BaselineEntries`): about 90 bytes a file with three metrics in
 * two mirrored folders, most of it the key's characters, instead of the whole row.
 */
export class BaselineIndex {
  readonly source: string;
  model: ModelInfo | null = null;
  columns: readonly string[] = [];
  readonly metrics: readonly string[];
  private readonly models = new ModelDescriptions();
  /** Key → entry index (and its ref path); later rows with the same key replace earlier ones, as in merge. */
  readonly entries = new BaselineEntries();
  private readonly statuses = new CodedTexts();
  private readonly values = new FloatBlocks();

  constructor(source: string, spec: MaxRegression) {
    this.source = source;
    this.metrics = [...candidateMetrics(spec).keys()];
  }

  get descriptions(): readonly string[] {
    return this.models.list;
  }

  get rates(): readonly number[] {
    return this.models.rates;
  }

  get size(): number {
    return this.entries.size;
  }

  add(row: Row): void {
    this.models.add(row);
    // A later row with a key seen before gets a new entry, which the key then points to.
    this.entries.add(rowKey(row), textCell(row, 'ref'));
    this.statuses.push(textCell(row, 'status'));
    for (const column of this.metrics) this.values.push(metricOf(row, column));
  }

  ref(index: number): string {
    return this.entries.ref(index);
  }

  status(index: number): string {
    return this.statuses.get(index);
  }

  /** A metric of an entry, null when missing. */
  value(index: number, column: string): number | null {
    const m = this.metrics.indexOf(column);
    if (m < 0) return null;
    const value = this.values.get(index * this.metrics.length + m);
    return Number.isNaN(value) ? null : value;
  }

  /** Reads a whole baseline report (any size) into its compact form. */
  static async read(path: string, spec: MaxRegression): Promise<BaselineIndex> {
    // Lean rows: a few metrics of each record are kept, never its per-layer cells.
    const stream = await openReport(path, undefined, { lean: true });
    const index = new BaselineIndex(path, spec);
    for await (const batch of stream.batches()) {
      for (const row of batch) index.add(row);
      // A long read must not keep Ctrl-C from being heard.
      await pause();
    }
    checkRequiredColumns(stream);
    index.model = stream.model;
    index.columns = stream.columns;
    return index;
  }

  /** The compact form of a report already in memory. */
  static of(baseline: ReportData, spec: MaxRegression): BaselineIndex {
    const index = new BaselineIndex(baseline.source, spec);
    for (const row of baseline.rows) index.add(row);
    index.model = baseline.model;
    index.columns = baseline.columns;
    return index;
  }
}

function changePercent(value: number, base: number): number | null {
  if (base === 0) return value === 0 ? 0 : null;
  return ((value - base) / Math.abs(base)) * 100;
}

/** Regressions worst first: baseline-0 ones, then by how far beyond the allowance; then by file and metric. */
function worstRegressionFirst(a: Regression, b: Regression): number {
  const over = (r: Regression): number => (r.changePercent === null ? Infinity : Math.abs(r.changePercent) - r.maxPercent);
  return over(b) - over(a) || compareKeys(a.file, b.file) || compareKeys(a.column, b.column);
}

/** A list kept to its first `LISTED_PER_KIND` entries in `order`, with the count of all that were offered. */
class Listed<T> {
  private readonly kept: BoundedHeap<T>;
  count = 0;

  constructor(order: (a: T, b: T) => number) {
    this.kept = new BoundedHeap(LISTED_PER_KIND, order);
  }

  add(item: T): void {
    this.count++;
    this.kept.offer(item);
  }

  sorted(): T[] {
    return this.kept.sorted();
  }
}

/** Steps of `BaselineComparer.settle` between two chances to give the event loop a turn. */
const SETTLE_STEP = 1024;

/** The end of a comparison: the files left on each side once the matches by ref path are made. */
interface Settled {
  readonly newFiles: Listed<string>;
  readonly missingFiles: Listed<string>;
}

/**
 * The comparison made a row at a time: each row of this run (keys unique, as merged or scored
 * rows are) is matched with the baseline by key as it comes, and the baseline entry is then
 * dropped, so memory is the baseline's compact index plus the rows left unmatched. Rows left on
 * both sides are matched by ref path at the end (`match: 'auto'` or `'ref'`). Regressions,
 * status changes, new and missing files are counted whole and listed up to `LISTED_PER_KIND`.
 */
export class BaselineComparer {
  private readonly candidates: Map<string, number>;
  private readonly tolerance: number;
  private readonly mode: 'auto' | 'syn' | 'ref';
  private readonly models = new ModelDescriptions();
  private anyFm = false;
  private matched = 0;
  private matchedByRef = 0;
  /** Rows no baseline key matched (yet), for matching by ref path at the end. */
  private readonly unmatched: UnmatchedRows;
  /** Per candidate metric: its worst regressions, and how many. */
  private readonly regressions = new Map<string, Listed<Regression>>();
  private readonly statusChanged = new Listed<StatusChange>((a, b) => compareKeys(a.file, b.file));
  private readonly means = new Map<string, { current: RunningMean; previous: RunningMean }>();
  /** `--regression-test` only: each checked metric's paired values (two floats per matched file). */
  private readonly paired = new Map<string, { current: FloatColumn; previous: FloatColumn }>();
  private readonly perFile: boolean;
  private readonly kept: FileChange[] = [];

  constructor(
    private readonly baseline: BaselineIndex,
    private readonly options: CompareOptions & { readonly keepChanges?: boolean } = {},
  ) {
    const spec = options.maxRegression ?? { defaults: DEFAULT_MAX_REGRESSION_PERCENT, metrics: {} };
    this.candidates = candidateMetrics(spec);
    this.tolerance = options.absTolerance ?? DEFAULT_ABS_TOLERANCE;
    this.mode = options.match ?? 'auto';
    // Metrics named by the user must exist in the baseline; default ones may just be empty there.
    for (const column of Object.keys(spec.metrics)) {
      if (baseline.size > 0 && !baseline.columns.includes(column)) {
        throw new UsageError(`cannot compare "${column}" with baseline ${baseline.source}: it has no such column`);
      }
    }
    for (const column of this.candidates.keys()) {
      this.means.set(column, { current: new RunningMean(), previous: new RunningMean() });
      this.regressions.set(column, new Listed(worstRegressionFirst));
    }
    if (options.regressionTest) {
      for (const column of this.candidates.keys()) this.paired.set(column, { current: new FloatColumn(), previous: new FloatColumn() });
    }
    this.perFile = options.perFile ?? true;
    this.unmatched = new UnmatchedRows(this.candidates.size);
  }

  /**
   * Compares one row of this run; returns the changes of its checked metrics (empty when it is
   * not matched by key yet, or not ok on both sides).
   */
  add(row: Row): FileChange[] {
    this.models.add(row);
    const status = textCell(row, 'status');
    if (status === 'ok' && numberCell(row, 'fm') !== null) this.anyFm = true;
    const key = rowKey(row);
    const index = this.mode === 'ref' ? undefined : this.baseline.entries.get(key);
    if (index === undefined) {
      this.unmatched.add(key, textCell(row, 'ref'), status, [...this.candidates.keys()].map((c) => numberCell(row, c)));
      return [];
    }
    this.baseline.entries.delete(key);
    this.matched++;
    return this.compare(key, status, (column) => numberCell(row, column), index, key);
  }

  /**
   * Compares one matched pair. Changes are kept for the result when asked (`keepChanges`) and
   * for pairs matched by ref path at the end that a page lists (`keep`): their rows were written
   * before the match was known, so no caller could take their changes from `add`.
   */
  private compare(file: string, status: string, value: (column: string) => number | null, index: number, baselineFile: string, keep = false): FileChange[] {
    const baselineStatus = this.baseline.status(index);
    if (status !== baselineStatus) this.statusChanged.add({ file, status, baselineStatus });
    if (status !== 'ok' || baselineStatus !== 'ok') return [];
    const changes: FileChange[] = [];
    for (const [column, maxPercent] of this.candidates) {
      const now = value(column);
      const previous = this.baseline.value(index, column);
      if (now === null || previous === null) continue;
      const means = this.means.get(column)!;
      means.current.add(now);
      means.previous.add(previous);
      const paired = this.paired.get(column);
      if (paired) {
        paired.current.push(now);
        paired.previous.push(previous);
      }
      const direction = metricDirection(column);
      const worse = direction === 'lower-is-better' ? now - previous : previous - now;
      const change = changePercent(now, previous);
      const regressed = this.perFile && worse > this.tolerance && (change === null || Math.abs(change) > maxPercent);
      const metric: MetricChange = { file, baselineFile, column, value: now, baseline: previous, changePercent: change };
      changes.push({ ...metric, regressed });
      if (regressed) this.regressions.get(column)!.add({ ...metric, maxPercent, direction });
    }
    if (this.options.keepChanges || keep) this.kept.push(...changes);
    return changes;
  }

  /** The metrics checked: the defaults for this run's mode (with `fm`, or syn-only) and the named ones. */
  private allowances(): Map<string, number> {
    const spec = this.options.maxRegression ?? { defaults: DEFAULT_MAX_REGRESSION_PERCENT, metrics: {} };
    const allowances = new Map<string, number>();
    if (spec.defaults !== null) {
      for (const column of this.anyFm ? DEFAULT_REGRESSION_METRICS : SYN_ONLY_REGRESSION_METRICS) allowances.set(column, spec.defaults);
    }
    for (const [column, percent] of Object.entries(spec.metrics)) allowances.set(column, percent);
    return allowances;
  }

  /** The metrics a caller keeping changes should keep them for (known for sure only at the end). */
  checkedMetrics(): string[] {
    return [...this.allowances().keys()];
  }

  /**
   * The comparison, once every row was added. Rows matched by ref path only now have their
   * changes kept in `changes` (their rows were written before the match was known), for the
   * files `listed` says a page shows (default: all).
   */
  result(listed: (file: string) => boolean = () => true): BaselineComparison {
    const steps = this.settle(listed);
    let step = steps.next();
    while (!step.done) step = steps.next();
    return this.comparison(step.value);
  }

  /** `result`, giving the event loop a turn now and then: a million files left to match by ref path take seconds. */
  async finish(listed: (file: string) => boolean = () => true): Promise<BaselineComparison> {
    const steps = this.settle(listed);
    let step = steps.next();
    while (!step.done) {
      await pause();
      step = steps.next();
    }
    return this.comparison(step.value);
  }

  /**
   * Matches by ref path what the keys left (a pair whose ref path is the only one of its kind on
   * both sides) and lists the files left on each side, yielding every SETTLE_STEP steps.
   */
  private *settle(listed: (file: string) => boolean): Generator<void, Settled> {
    checkSameModel({ descriptions: this.models.list, rates: this.models.rates }, this.baseline, this.options.model);
    const columns = [...this.candidates.keys()];
    const unmatched = this.unmatched.entries;
    let steps = 0;
    const step = (): boolean => ++steps % SETTLE_STEP === 0;
    if (this.mode !== 'syn') {
      const previous = new UniqueRefs(this.baseline.entries);
      for (const [, entry] of this.baseline.entries) {
        previous.add(entry);
        if (step()) yield;
      }
      const current = new UniqueRefs(unmatched);
      for (const [, entry] of unmatched) {
        current.add(entry);
        if (step()) yield;
      }
      for (const [key, entry] of unmatched) {
        if (step()) yield;
        const ref = unmatched.ref(entry);
        const index = current.only(ref) === entry ? previous.only(ref) : -1;
        if (index < 0) continue;
        const baselineKey = this.baseline.entries.key(index);
        this.baseline.entries.delete(baselineKey);
        unmatched.delete(key);
        this.matched++;
        this.matchedByRef++;
        const values = (column: string): number | null => this.unmatched.value(entry, columns.indexOf(column));
        this.compare(key, this.unmatched.status(entry), values, index, baselineKey, listed(key));
      }
    }
    const newFiles = new Listed<string>(compareKeys);
    for (const key of unmatched.keys()) {
      newFiles.add(key);
      if (step()) yield;
    }
    const missingFiles = new Listed<string>(compareKeys);
    for (const key of this.baseline.entries.keys()) {
      missingFiles.add(key);
      if (step()) yield;
    }
    return { newFiles, missingFiles };
  }

  private comparison({ newFiles, missingFiles }: Settled): BaselineComparison {
    const allowances = this.allowances();
    const regressions: Regression[] = [];
    const regressionCounts: Record<string, number> = {};
    let regressionCount = 0;
    for (const column of allowances.keys()) {
      const listed = this.regressions.get(column)!;
      regressions.push(...listed.sorted());
      regressionCounts[column] = listed.count;
      regressionCount += listed.count;
    }
    regressions.sort(worstRegressionFirst);
    const metrics: MetricCheck[] = [...allowances].map(([column, maxPercent]) => {
      const { current, previous } = this.means.get(column)!;
      const currentMean = current.value();
      const previousMean = previous.value();
      return {
        column,
        maxPercent,
        direction: metricDirection(column),
        compared: current.count,
        mean: currentMean,
        baselineMean: previousMean,
        meanChangePercent: currentMean !== null && previousMean !== null ? changePercent(currentMean, previousMean) : null,
      };
    });
    const test = this.options.regressionTest;
    const meanTests: MeanRegressionTest[] = test
      ? [...allowances.keys()].map((column) => {
          const { current, previous } = this.paired.get(column)!;
          return testMeanRegression(column, metricDirection(column), current.values(), previous.values(), test);
        })
      : [];
    return {
      source: this.baseline.source,
      metrics,
      perFile: this.perFile,
      meanTests,
      matched: this.matched,
      matchedByRef: this.matchedByRef,
      regressions,
      regressionCount,
      regressionCounts,
      changes: this.kept.filter((c) => allowances.has(c.column)),
      newFiles: newFiles.sorted(),
      newCount: newFiles.count,
      missingFiles: missingFiles.sorted(),
      missingCount: missingFiles.count,
      statusChanged: this.statusChanged.sorted(),
      statusChangedCount: this.statusChanged.count,
      passed: regressionCount === 0 && !meanTests.some((t) => t.failed),
    };
  }
}

/**
 * Compares this run's rows with a baseline report. Throws a UsageError when the baseline was
 * scored with another model or lacks a metric that is checked.
 */
export function compareWithBaseline(rows: readonly Row[], baseline: ReportData, options: CompareOptions = {}): BaselineComparison {
  checkSameModel({ rows }, baseline, options.model);
  const spec = options.maxRegression ?? { defaults: DEFAULT_MAX_REGRESSION_PERCENT, metrics: {} };
  const comparer = new BaselineComparer(BaselineIndex.of(baseline, spec), { ...options, keepChanges: true });
  // Later rows with the same key replace earlier ones, as in merge.
  for (const row of new Map(rows.map((row) => [rowKey(row), row])).values()) comparer.add(row);
  return comparer.result();
}

function signedPercent(percent: number | null): string {
  if (percent === null) return 'baseline 0';
  return `${percent >= 0 ? '+' : ''}${formatNumber(Number(percent.toFixed(2)))}%`;
}

/** Up to `max` of `keys` (the first of `count` in all), then how many more. */
function listKeys(keys: readonly string[], count: number, max: number): string {
  const shown = keys.slice(0, max);
  const text = shown.map(oneLine).join(', ');
  return count > shown.length ? `${text}, ... and ${count - shown.length} more` : text;
}

/** The comparison as lines for stderr (ending in a newline). */
export function formatBaseline(comparison: BaselineComparison, options: { readonly maxListed?: number } = {}): string {
  const max = options.maxListed ?? 10;
  const lines: string[] = [];
  lines.push(
    `baseline ${oneLine(comparison.source)}: ${comparison.matched} files matched` +
      (comparison.matchedByRef > 0 ? ` (${comparison.matchedByRef} by ref path)` : '') +
      `, ${comparison.newCount} new, ${comparison.missingCount} missing`,
  );
  for (const m of comparison.metrics) {
    lines.push(
      `  ${m.column}: mean ${formatNumber(m.mean)} (baseline ${formatNumber(m.baselineMean)}, ${signedPercent(m.meanChangePercent)}) ` +
        `over ${m.compared} files; ${m.direction}` + (comparison.perFile === false ? '' : `, allowed ${formatNumber(m.maxPercent)}% per file`),
    );
  }
  for (const t of comparison.meanTests ?? []) lines.push(`  ${t.message}`);
  if (comparison.regressionCount > 0) {
    lines.push(`regressed beyond the allowance (${comparison.regressionCount}):`);
    const shown = comparison.regressions.slice(0, max);
    for (const r of shown) {
      lines.push(
        `  ${oneLine(r.file)} ${r.column} ${formatNumber(r.baseline)} -> ${formatNumber(r.value)} ` +
          `(${signedPercent(r.changePercent)}, allowed ${formatNumber(r.maxPercent)}%)`,
      );
    }
    if (comparison.regressionCount > shown.length) lines.push(`  ... and ${comparison.regressionCount - shown.length} more`);
  }
  if (comparison.statusChangedCount > 0) {
    lines.push(
      `status changed: ${listKeys(
        comparison.statusChanged.map((s) => `${s.file} (${s.baselineStatus} -> ${s.status})`),
        comparison.statusChangedCount,
        max,
      )}`,
    );
  }
  if (comparison.newCount > 0) lines.push(`new (not in baseline): ${listKeys(comparison.newFiles, comparison.newCount, max)}`);
  if (comparison.missingCount > 0) lines.push(`missing (only in baseline): ${listKeys(comparison.missingFiles, comparison.missingCount, max)}`);
  return `${lines.join('\n')}\n`;
}
