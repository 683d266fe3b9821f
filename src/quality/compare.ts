/**
 * `compare`: several systems scored on the same files, which is best and by how much, with the
 * statistics that say whether a difference is real.
 *
 * Pairing. A file's identity across reports is its row key (the syn path, as `--baseline`
 * matches first); a row whose key no other report has is matched by its ref path instead when
 * that is unique in its report (outputs-v1/ against outputs-v2/ scored on the same refs/), as
 * `--baseline`'s `auto` matching does. Files not in every report are counted and listed and
 * left out. Per metric, the statistics use the files every system scored ok with a value.
 *
 * Per system and metric: n, mean, median and a 95 % interval of the mean. Per pair (every pair,
 * or each system against `--reference`): mean and median of the paired differences b − a with
 * a 95 % interval of the mean difference, the Wilcoxon signed-rank p-value, Holm-adjusted over
 * every comparison of the run, the shares of files each side is better on (exact ties apart),
 * and effect sizes (rank-biserial, Cohen's dz). Ranking per metric: systems in order of their
 * mean, better first; a system joins the group above it when no comparison with a member of
 * that group is significant at alpha (Holm-adjusted), else it starts the next rank.
 */
import { UsageError } from '../errors.js';
import { compareKeys, metricDirection } from '../report/columns.js';
import type {
  ComparedSystem,
  ComparisonResult,
  MetricComparison,
  MetricFiles,
  MissingFile,
  PairedComparison,
  RankEntry,
  SystemMetricStats,
} from '../report/comparison.js';
import { percentileSorted } from '../report/stats.js';
import { describeMismatch, findModelMismatch } from './same-model.js';
import { BOOTSTRAP_BUDGET, DEFAULT_RESAMPLES, meanInterval, seedFor } from './stats/bootstrap.js';
import { holmAdjust } from './stats/holm.js';
import { signedRankTest } from './stats/wilcoxon.js';
import { readScoreTable, tableFromReport, type ScoreTable } from './score-table.js';
import type { ReportData } from '../report/read.js';

export type { ComparisonResult };

/** The metrics compared by default, those of them every report has. */
export const DEFAULT_COMPARE_METRICS = ['fm', 'mel_l1', 'mel_dtw', 'gen'] as const;
export const DEFAULT_COMPARE_ALPHA = 0.05;

export interface CompareReportsOptions {
  /** One name per report (default: the file names without extension, made unique). */
  readonly names?: readonly string[];
  /** Metric columns (default: those of DEFAULT_COMPARE_METRICS every report has). */
  readonly metrics?: readonly string[];
  /** Compare each system with this one only (default: every pair). */
  readonly reference?: string;
  readonly alpha?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

function baseName(source: string): string {
  const file = source.split(/[\\/]/).pop() ?? source;
  return file.replace(/\.(jsonl|ndjson|json|csv)$/i, '') || source;
}

/** Names from the file names; a clash keeps the whole path. */
function defaultNames(sources: readonly string[]): string[] {
  const short = sources.map(baseName);
  return short.map((name, i) => (short.indexOf(name) !== short.lastIndexOf(name) ? sources[i]! : name));
}

function checkSameModel(tables: readonly ScoreTable[], names: readonly string[]): void {
  const mismatch = findModelMismatch(
    tables.map((t, i) => ({ source: `${names[i]} (${t.source})`, model: t.model, rows: t.models.map((m) => ({ family: m.family, weights: m.weights })) })),
  );
  if (!mismatch) return;
  const advice = { model: 'score every system with the same model', rate: 'score every system at the same --sample-rate', segment: 'use the same --segment', align: 'use the same --align and --max-offset' }[mismatch.kind];
  throw new UsageError(`cannot compare reports scored differently: ${describeMismatch(mismatch)}; ${advice}`);
}

/**
 * Each table's file ids: its key (the same string, no copy) when another report has that key,
 * else `\u0000` + its ref path when that is unique in its report (one id string per distinct
 * ref, shared by every report: 100,000 files of 5 systems make 100,000 ids, not 500,000).
 */
function fileIds(tables: readonly ScoreTable[]): string[][] {
  const keyCount = new Map<string, number>();
  for (const t of tables) for (const key of new Set(t.keys)) keyCount.set(key, (keyCount.get(key) ?? 0) + 1);
  const refIds = new Map<string, string>();
  return tables.map((t) => {
    const refCount = new Map<string, number>();
    for (const ref of t.refs) if (ref !== '') refCount.set(ref, (refCount.get(ref) ?? 0) + 1);
    return t.keys.map((key, i) => {
      const ref = t.refs[i]!;
      if (tables.length > 1 && keyCount.get(key) === 1 && ref !== '' && refCount.get(ref) === 1) {
        let id = refIds.get(ref);
        if (id === undefined) refIds.set(ref, (id = `\u0000${ref}`));
        return id;
      }
      return key;
    });
  });
}

function median(values: Float64Array, scratch: Float64Array): number {
  const sorted = scratch.subarray(0, values.length);
  sorted.set(values);
  sorted.sort();
  return percentileSorted(sorted as unknown as number[], 50)!;
}

function plainMean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

function sd(values: Float64Array, m: number): number {
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - m) ** 2;
  return values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0;
}

const RAW_PAIR = Symbol('raw');

/** Compares the systems of `tables` (already read). */
export function compareTables(tables: readonly ScoreTable[], options: CompareReportsOptions = {}): ComparisonResult {
  if (tables.length < 2) throw new UsageError('compare needs at least two reports');
  const names = options.names ? [...options.names] : defaultNames(tables.map((t) => t.source));
  if (names.length !== tables.length) throw new UsageError(`--names gives ${names.length} names for ${tables.length} reports`);
  if (new Set(names).size !== names.length) throw new UsageError(`--names must be unique, got ${names.join(', ')}`);
  if (names.some((n) => n.trim() === '')) throw new UsageError('--names: a name is empty');
  const alpha = options.alpha ?? DEFAULT_COMPARE_ALPHA;
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be between 0 and 1, got ${alpha}`);
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.seed ?? 0;
  const reference = options.reference ?? null;
  if (reference !== null && !names.includes(reference)) throw new UsageError(`--reference "${reference}" is not one of the systems: ${names.join(', ')}`);
  // Found before any statistics, like --baseline.
  checkSameModel(tables, names);

  const metrics = options.metrics ?? DEFAULT_COMPARE_METRICS.filter((m) => tables.every((t) => t.present.has(m)));
  if (metrics.length === 0) {
    throw new UsageError(`no metric to compare: the reports do not all have any of ${DEFAULT_COMPARE_METRICS.join(', ')} (name one with --metric)`);
  }
  for (const metric of metrics) {
    const without = tables.findIndex((t) => !t.values.has(metric) || !t.present.has(metric));
    if (without >= 0) throw new UsageError(`cannot compare "${metric}": ${tables[without]!.source} has no values for it`);
  }

  // Pair files across reports.
  const ids = fileIds(tables);
  const positions = ids.map((list) => new Map(list.map((id, i) => [id, i])));
  const all = new Map<string, number>();
  for (const p of positions) for (const id of p.keys()) all.set(id, (all.get(id) ?? 0) + 1);
  const display = (id: string): string => (id.charCodeAt(0) === 0 ? id.slice(1) : id);
  const sharedEntries = [...all]
    .filter(([, count]) => count === tables.length)
    .map(([id]) => ({ id, name: display(id) }))
    .sort((a, b) => compareKeys(a.name, b.name) || compareKeys(a.id, b.id));
  const shared = sharedEntries.map((e) => e.id);
  const sharedNames = sharedEntries.map((e) => e.name);
  const missing: MissingFile[] = [...all]
    .filter(([, count]) => count < tables.length)
    .map(([id]) => {
      const first = positions.findIndex((p) => p.has(id));
      // Listed by its key in the first report that has it (a file matched by nothing has no better name).
      return { file: tables[first]!.keys[positions[first]!.get(id)!]!, presentIn: names.filter((_, s) => positions[s]!.has(id)) };
    })
    .sort((a, b) => compareKeys(a.file, b.file));
  const rowsOf = shared.map((id) => positions.map((p) => p.get(id)!));

  const systems: ComparedSystem[] = tables.map((t, s) => ({ name: names[s]!, source: t.source, files: t.keys.length, ok: t.ok.reduce((a, b) => a + b, 0) }));
  const pairsToCompare: [number, number][] = [];
  if (reference !== null) {
    const r = names.indexOf(reference);
    for (let s = 0; s < names.length; s++) if (s !== r) pairsToCompare.push([r, s]);
  } else {
    for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) pairsToCompare.push([a, b]);
  }

  const perFile: MetricFiles[] = [];
  const partial: { metric: string; direction: MetricComparison['direction']; n: number; systems: SystemMetricStats[]; pairs: (Omit<PairedComparison, 'pHolm' | 'significant' | 'better'> & { [RAW_PAIR]: true })[] }[] = [];
  for (const metric of metrics) {
    const direction = metricDirection(metric);
    const columns = tables.map((t) => t.values.get(metric)!);
    // Files with a value in every system.
    const usable: number[] = [];
    rowsOf.forEach((rows, f) => {
      if (rows.every((row, s) => !Number.isNaN(columns[s]![row]!))) usable.push(f);
    });
    const n = usable.length;
    const values = columns.map((column, s) => Float64Array.from(usable, (f) => column[rowsOf[f]![s]!]!));
    perFile.push({
      metric,
      files: usable.map((f) => sharedNames[f]!),
      paths: tables.map((t, s) => usable.map((f) => t.keys[rowsOf[f]![s]!]!)),
      values,
    });
    if (n === 0) throw new UsageError(`cannot compare "${metric}": no file has a value for it in every report`);
    const scratch = new Float64Array(n);
    const systemStats = values.map((v, s): SystemMetricStats => ({
      system: names[s]!,
      n,
      mean: plainMean(v),
      median: median(v, scratch),
      ci: meanInterval(v, resamples, seedFor(seed, `${metric}\u0000${names[s]}`))!,
    }));
    const pairs = pairsToCompare.map(([a, b]) => {
      const d = new Float64Array(n);
      let aBetter = 0;
      let bBetter = 0;
      for (let i = 0; i < n; i++) {
        d[i] = values[b]![i]! - values[a]![i]!;
        const bIsBetter = direction === 'lower-is-better' ? d[i]! < 0 : d[i]! > 0;
        if (d[i] === 0) continue;
        if (bIsBetter) bBetter++;
        else aBetter++;
      }
      const meanDifference = plainMean(d);
      const test = signedRankTest(d);
      const sign = direction === 'lower-is-better' ? -1 : 1;
      const spread = sd(d, meanDifference);
      const baseMean = systemStats[a]!.mean;
      return {
        [RAW_PAIR]: true as const,
        metric,
        a: names[a]!,
        b: names[b]!,
        n,
        meanDifference,
        medianDifference: median(d, scratch),
        ci: meanInterval(d, resamples, seedFor(seed, `${metric}\u0000${names[a]}\u0000${names[b]}`))!,
        changePercent: baseMean === 0 ? null : (meanDifference / Math.abs(baseMean)) * 100,
        pValue: test.pValue,
        testMethod: test.method,
        statistic: test.statistic,
        effectSize: test.rankBiserial === null ? null : sign * test.rankBiserial,
        cohensDz: spread > 0 ? meanDifference / spread : null,
        aBetter: aBetter / n,
        bBetter: bBetter / n,
        ties: (n - aBetter - bBetter) / n,
      };
    });
    partial.push({ metric, direction, n, systems: systemStats, pairs });
  }

  // Holm over every comparison of the run.
  const flat = partial.flatMap((m) => m.pairs);
  const adjusted = holmAdjust(flat.map((p) => p.pValue));
  let k = 0;
  const metricResults: MetricComparison[] = partial.map((m) => {
    const pairs: PairedComparison[] = m.pairs.map((p) => {
      const { [RAW_PAIR]: _, ...rest } = p;
      const pHolm = adjusted[k++]!;
      const significant = pHolm !== null && pHolm < alpha;
      const bBetterMean = m.direction === 'lower-is-better' ? p.meanDifference < 0 : p.meanDifference > 0;
      return { ...rest, pHolm, significant, better: significant ? (bBetterMean ? p.b : p.a) : null };
    });
    return { metric: m.metric, direction: m.direction, n: m.n, systems: m.systems, pairs, ranking: rank(m.systems, pairs, m.direction) };
  });

  const bootstrapped = metricResults.some((m) => m.systems.some((s) => s.ci.method === 'bootstrap'));
  const normal = metricResults.some((m) => m.systems.some((s) => s.ci.method === 'normal'));
  const limit = Math.floor(BOOTSTRAP_BUDGET / Math.max(1, resamples));
  const intervalNote =
    (bootstrapped ? `95% intervals: percentile bootstrap of the mean, ${resamples} resamples, seed ${seed}` : '') +
    (bootstrapped && normal ? '; ' : '') +
    (normal ? `${bootstrapped ? '' : '95% intervals: '}normal theory (mean ± 1.96·s/√n) where n > ${limit} files, where it agrees with the bootstrap and costs one pass` : '') +
    '.';

  return {
    systems,
    model: tables.find((t) => t.model !== null)?.model ?? null,
    metrics: metricResults,
    paired: shared.length,
    missing,
    alpha,
    resamples,
    seed,
    reference,
    intervalNote,
    perFile,
  };
}

function rank(systems: readonly SystemMetricStats[], pairs: readonly PairedComparison[], direction: MetricComparison['direction']): RankEntry[] {
  const order = [...systems].sort((x, y) => (direction === 'lower-is-better' ? x.mean - y.mean : y.mean - x.mean) || compareKeys(x.system, y.system));
  const differ = (x: string, y: string): boolean => pairs.some((p) => p.significant && ((p.a === x && p.b === y) || (p.a === y && p.b === x)));
  const entries: RankEntry[] = [];
  let group: string[] = [];
  let rankNo = 0;
  for (const s of order) {
    if (group.length === 0 || group.some((member) => differ(member, s.system))) {
      rankNo++;
      group = [];
    }
    group.push(s.system);
    entries.push({ system: s.system, mean: s.mean, rank: rankNo });
  }
  return entries;
}

/**
 * Compares reports (paths, any of CSV, JSON, JSONL; or reports already read). Throws a
 * UsageError for mismatched models, unknown metrics or reports that cannot be read.
 */
export async function compareReports(inputs: readonly (string | ReportData)[], options: CompareReportsOptions = {}): Promise<ComparisonResult> {
  const wanted = [...new Set([...(options.metrics ?? DEFAULT_COMPARE_METRICS)])];
  const tables: ScoreTable[] = [];
  for (const input of inputs) tables.push(typeof input === 'string' ? await readScoreTable(input, wanted) : tableFromReport(input, wanted));
  if (options.metrics) {
    for (const metric of options.metrics) {
      const t = tables.find((table) => !table.present.has(metric));
      if (t) throw new UsageError(`cannot compare "${metric}": ${t.source} has no values for it`);
    }
  }
  return compareTables(tables, options);
}
