/**
 * Confidence intervals of a mean: the percentile bootstrap, seeded and deterministic, and the
 * normal-theory interval used instead when the bootstrap would cost too much.
 *
 * Reproducible bit for bit: the resampling indices come from mulberry32 (the integer PRNG the
 * untrained weights use, src/model/init.ts), each resample's mean is a plain left-to-right sum
 * in index order, and the interval is read off the sorted means by numpy's linear rule. Every
 * step is integer arithmetic or a correctly rounded IEEE double operation in a fixed order, so
 * the same inputs and seed give the same bits on every machine and Node version.
 *
 * Cost. One interval draws n·R indices (about 10–25 ns each), and a comparison of 5 systems on
 * 4 metrics makes 60 intervals. Above `BOOTSTRAP_BUDGET` draws per interval (n > 500 files at
 * the default 10,000 resamples) the normal interval mean ± z₀.₉₇₅·s/√n is used instead: the
 * bootstrap is there for small n, where a mean's sampling distribution may be skewed; by 500
 * files of bounded, unimodal scores it is normal to within the bootstrap's own Monte Carlo error
 * (test/quality/stats.test.ts checks the two agree already at n = 200), and the normal interval
 * costs one pass. Worst case (n = 500, 60 intervals) stays a few seconds; results say which
 * method made each interval.
 */
import { percentileSorted } from '../../report/stats.js';

/** Most index draws one bootstrap interval may take (n × resamples). */
export const BOOTSTRAP_BUDGET = 5_000_000;
export const DEFAULT_RESAMPLES = 10_000;
/** Φ⁻¹(0.975). */
const Z975 = 1.959963984540054;

export type CiMethod = 'bootstrap' | 'normal';

export interface MeanInterval {
  readonly low: number;
  readonly high: number;
  readonly method: CiMethod;
}

/**
 * Math.imul in plain arithmetic, as src/model/init.ts does: V8 inlines the builtin only for code
 * of its own realm, and under the test runner's VM realm the bootstrap ran 60x slower with it.
 */
function imul32(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = (a >>> 16) & 0xffff;
  return (aLow * b + (((aHigh * b) & 0xffff) << 16)) | 0;
}

/** mulberry32 as a stream of uint32 (the same generator as src/model/init.ts's mulberry32Fill). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul32(t ^ (t >>> 15), t | 1);
    t ^= t + imul32(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a of a label, so each interval of a run gets its own stream from one base seed. */
export function seedFor(base: number, label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ base) >>> 0;
}

function plainMean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** The percentile-bootstrap 95 % interval of the mean of `values` (R resamples). */
export function bootstrapMeanInterval(values: ArrayLike<number>, resamples: number, seed: number): MeanInterval {
  const n = values.length;
  const means = new Float64Array(resamples);
  // mulberry32 written into the loop (a third faster than calling the generator per draw).
  let state = seed >>> 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = imul32(t ^ (t >>> 15), t | 1);
      t ^= t + imul32(t ^ (t >>> 7), t | 61);
      // floor(u32 · n / 2³²) (>>> 0 truncates; Math.floor is another builtin call): exact in
      // doubles, u32 · n < 2⁵³ for any n below 2²¹.
      sum += values[((((t ^ (t >>> 14)) >>> 0) * n) / 4294967296) >>> 0]!;
    }
    means[r] = sum / n;
  }
  means.sort();
  return { low: percentileSorted(means as unknown as number[], 2.5)!, high: percentileSorted(means as unknown as number[], 97.5)!, method: 'bootstrap' };
}

/** mean ± z₀.₉₇₅ · s/√n (s with n − 1). */
export function normalMeanInterval(values: ArrayLike<number>): MeanInterval {
  const n = values.length;
  const m = plainMean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - m) ** 2;
  const half = n > 1 ? Z975 * Math.sqrt(ss / (n - 1) / n) : 0;
  return { low: m - half, high: m + half, method: 'normal' };
}

/**
 * The 95 % interval of the mean: the bootstrap while n·R stays within the budget, else normal
 * theory. Null for no values.
 */
export function meanInterval(values: ArrayLike<number>, resamples: number, seed: number): MeanInterval | null {
  if (values.length === 0) return null;
  if (values.length * resamples <= BOOTSTRAP_BUDGET && resamples > 0) return bootstrapMeanInterval(values, resamples, seed);
  return normalMeanInterval(values);
}
