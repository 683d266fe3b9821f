/**
 * The shapes of the judgements made about a set of results: `--fail-if` gate results and the
 * `--baseline` comparison. `src/quality/` computes them; they are defined here, in the report
 * layer, because every output format shows them and layers depend one way (quality → report).
 */

import type { MeanRegressionTest } from './comparison.js';

/** Which way is better for a metric column (see `metricDirection` in columns.ts). */
export type Direction = 'lower-is-better' | 'higher-is-better';

export interface GateFile {
  /** The row's key (syn path, or ref path for a row without one). */
  readonly file: string;
  readonly value: number;
}

/** What every output needs to know of one evaluated `--fail-if` gate. */
export interface GateVerdict {
  /** `source` is the expression as the user wrote it. */
  readonly gate: { readonly source: string };
  readonly passed: boolean;
  /**
   * For a column gate: how many ok files match the condition. For an aggregate: its value.
   * For count(...): the count. Null only when there was no value to aggregate.
   */
  readonly value: number | null;
  /** Ok rows with a value for the column. */
  readonly considered: number;
  /** Ok rows without a value for the column (skipped). */
  readonly missing: number;
  /**
   * Up to `worst` files, worst first: the files matching the condition (column and count gates)
   * or, for aggregates, the files pulling the aggregate the failing way.
   */
  readonly worst: readonly GateFile[];
  /** One line, e.g. `gate "fm > 0.4" failed: 3 files above 0.4; worst: a.wav (0.91), ...`. */
  readonly message: string;
}

/** One metric of one file of this run next to its matched baseline row. */
export interface MetricChange {
  /** Key of the row in this run. */
  readonly file: string;
  /** Key of the matched baseline row (differs when matched by ref path). */
  readonly baselineFile: string;
  readonly column: string;
  readonly value: number;
  readonly baseline: number;
  /** Signed percent change of the value; null when the baseline is 0 (and the value is not). */
  readonly changePercent: number | null;
}

export interface Regression extends MetricChange {
  readonly maxPercent: number;
  readonly direction: Direction;
}

/** One checked metric of one matched file, whether it regressed or not. */
export interface FileChange extends MetricChange {
  /** True when this change is one of the comparison's `regressions`. */
  readonly regressed: boolean;
}

export interface MetricCheck {
  readonly column: string;
  readonly maxPercent: number;
  readonly direction: Direction;
  /** Files with a value on both sides. */
  readonly compared: number;
  /** Means over those files, and the percent change between them (null: baseline mean 0). */
  readonly mean: number | null;
  readonly baselineMean: number | null;
  readonly meanChangePercent: number | null;
}

export interface StatusChange {
  readonly file: string;
  readonly status: string;
  readonly baselineStatus: string;
}

/**
 * How many entries a comparison lists of each kind: regressions per metric, status changes, new
 * and missing files. The counts beside the lists are whole; a comparison of a million files
 * against another checkpoint must not hold a million regressions.
 */
export const LISTED_PER_KIND = 1000;

export interface BaselineComparison {
  /** The baseline's source (path) for messages. */
  readonly source: string;
  readonly metrics: readonly MetricCheck[];
  /** Pairs found on both sides, and how many of those only by their ref path. */
  readonly matched: number;
  readonly matchedByRef: number;
  /**
   * Worst first (baseline-0 regressions, then by how far beyond the allowance): the worst
   * `LISTED_PER_KIND` of each metric.
   */
  readonly regressions: readonly Regression[];
  /** All regressions beyond the allowance, and per metric. */
  readonly regressionCount: number;
  readonly regressionCounts: Readonly<Record<string, number>>;
  /**
   * Every checked metric of every matched pair that is ok on both sides (regressed or not), from
   * `compareWithBaseline`. A comparison made a row at a time (`BaselineComparer`, the CLI) keeps
   * only those of pairs matched by ref path; the others go with their rows to the writer.
   */
  readonly changes: readonly FileChange[];
  /** Keys only in this run / only in the baseline, sorted: the first `LISTED_PER_KIND`, and how many in all. */
  readonly newFiles: readonly string[];
  readonly newCount: number;
  readonly missingFiles: readonly string[];
  readonly missingCount: number;
  /** Matched pairs whose status differs (e.g. ok before, error now), by key: the first `LISTED_PER_KIND`, and how many in all. */
  readonly statusChanged: readonly StatusChange[];
  readonly statusChangedCount: number;
  /** Whether single files beyond their allowance count (false: `--regression-test` alone). */
  readonly perFile?: boolean;
  /** `--regression-test`: each checked metric's mean change, tested (empty without it). */
  readonly meanTests?: readonly MeanRegressionTest[];
  /** False when any file regressed beyond its allowance or a mean test failed (exit 1). */
  readonly passed: boolean;
}
