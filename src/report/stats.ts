/**
 * The few statistics the summary and the gates share, defined once so `--fail-if "p95(fm) > x"`
 * and the summary's p95 column can never disagree.
 */

/**
 * Arithmetic mean with Neumaier-compensated summation, so a long run of similar values does not
 * drift with the order files finished in. Null for no values.
 */
export function mean(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const t = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - t + value : value - t + sum;
    sum = t;
  }
  return (sum + compensation) / values.length;
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of `sorted` (ascending), by linear interpolation between
 * closest ranks: rank = p/100 · (n − 1), value = x[⌊rank⌋] + (x[⌈rank⌉] − x[⌊rank⌋]) · frac(rank).
 * This is numpy's default (`method="linear"`), so median = p50 and p0/p100 are min/max.
 * Null for no values.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = sorted[lo]!;
  const high = sorted[hi]!;
  return lo === hi ? low : low + (high - low) * (rank - lo);
}

export function sortAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted(sortAscending(values), p);
}

/** The statistics the summary reports per metric (all null when `count` is 0). */
export interface MetricStats {
  readonly count: number;
  readonly mean: number | null;
  readonly median: number | null;
  readonly p95: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export function describe(values: readonly number[]): MetricStats {
  return describeSorted(sortAscending(values));
}

/** `describe` of values already in ascending order (e.g. a sorted Float64Array column). */
export function describeSorted(sorted: ArrayLike<number>): MetricStats {
  return {
    count: sorted.length,
    mean: mean(sorted),
    median: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    min: sorted.length ? sorted[0]! : null,
    max: sorted.length ? sorted[sorted.length - 1]! : null,
  };
}

/** A number for messages: six significant digits, no trailing zeros (0.91, 1.2346e-7). */
export function formatNumber(value: number | null): string {
  if (value === null) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}
