/**
 * The shape of a `compare` result (several systems scored on the same files) and of the
 * `--regression-test` verdict. `src/quality/` computes them; they are defined here, in the
 * report layer, because the output formats show them and layers depend one way
 * (quality → report), as verdicts.ts does for gates and baselines.
 */
import type { ModelInfo } from '../scores.js';
import type { Direction } from './verdicts.js';

/** How a 95 % interval of a mean was made: percentile bootstrap, or normal theory for large n. */
export type CiMethod = 'bootstrap' | 'normal';

export interface Interval {
  readonly low: number;
  readonly high: number;
  readonly method: CiMethod;
}

/** One compared report. */
export interface ComparedSystem {
  readonly name: string;
  readonly source: string;
  /** Files (rows) in its report, and how many of them were scored ok. */
  readonly files: number;
  readonly ok: number;
}

/** One system's values of one metric over the files every system has a value for. */
export interface SystemMetricStats {
  readonly system: string;
  readonly n: number;
  readonly mean: number;
  readonly median: number;
  /** 95 % interval of the mean. */
  readonly ci: Interval;
}

/** One paired comparison: `b` against `a`, differences b − a per file. */
export interface PairedComparison {
  readonly metric: string;
  readonly a: string;
  readonly b: string;
  readonly n: number;
  readonly meanDifference: number;
  readonly medianDifference: number;
  /** 95 % interval of the mean difference. */
  readonly ci: Interval;
  /** Mean difference in percent of |mean of a| (null when that mean is 0). */
  readonly changePercent: number | null;
  /** Wilcoxon signed-rank test, two-sided (SciPy's defaults); null when every difference is 0. */
  readonly pValue: number | null;
  /** Holm-adjusted across every comparison of the run (all metrics, all pairs). */
  readonly pHolm: number | null;
  readonly testMethod: 'exact' | 'normal';
  /** Wilcoxon's statistic min(R+, R−). */
  readonly statistic: number;
  /** Matched-pairs rank-biserial correlation, oriented so that positive means b is better. */
  readonly effectSize: number | null;
  /** Mean difference / SD of the differences (paired Cohen's d), sign as the difference. */
  readonly cohensDz: number | null;
  /** Shares of files where a is better, b is better, or the two are exactly equal. */
  readonly aBetter: number;
  readonly bBetter: number;
  readonly ties: number;
  /** pHolm < alpha. */
  readonly significant: boolean;
  /** The better system when significant, else null. */
  readonly better: string | null;
}

export interface RankEntry {
  readonly system: string;
  readonly mean: number;
  /** 1 for the best group; systems not significantly different share a rank. */
  readonly rank: number;
}

export interface MetricComparison {
  readonly metric: string;
  readonly direction: Direction;
  /** Files every system has a value for (the paired statistics' n). */
  readonly n: number;
  readonly systems: readonly SystemMetricStats[];
  readonly pairs: readonly PairedComparison[];
  readonly ranking: readonly RankEntry[];
}

export interface MissingFile {
  readonly file: string;
  /** The systems whose reports have it. */
  readonly presentIn: readonly string[];
}

/** Per-file values of one metric, for plots: `values[s][i]` is system s on file i. */
export interface MetricFiles {
  readonly metric: string;
  /** How each paired file is named (the first system's key, or the ref path when matched by it). */
  readonly files: readonly string[];
  /** Each system's own path of each file (its row key), for audio links. */
  readonly paths: readonly (readonly string[])[];
  readonly values: readonly Float64Array[];
}

export interface ComparisonResult {
  readonly systems: readonly ComparedSystem[];
  readonly model: ModelInfo | null;
  readonly metrics: readonly MetricComparison[];
  /** Files in every report. */
  readonly paired: number;
  /** Files in some reports only: counted, listed, left out of every statistic. */
  readonly missing: readonly MissingFile[];
  /** Files in every report but not scored ok (or without a value) in some: per metric n says what was left. */
  readonly alpha: number;
  readonly resamples: number;
  readonly seed: number;
  readonly reference: string | null;
  /** One sentence on how the intervals were made (bootstrap, or normal theory above the budget). */
  readonly intervalNote: string;
  /** Per-file values (not part of the JSON output). */
  readonly perFile: readonly MetricFiles[];
}

/** `--regression-test`: one metric's mean against the baseline's, over the matched files. */
export interface MeanRegressionTest {
  readonly column: string;
  readonly direction: Direction;
  readonly n: number;
  readonly mean: number | null;
  readonly baselineMean: number | null;
  /** Change of the mean in percent of |baseline mean|, and its 95 % interval. */
  readonly changePercent: number | null;
  readonly ciPercent: { readonly low: number; readonly high: number; readonly method: CiMethod } | null;
  readonly pValue: number | null;
  readonly alpha: number;
  readonly minEffectPercent: number;
  /** Worse by more than the minimum effect and significant at alpha. */
  readonly failed: boolean;
  readonly message: string;
}
