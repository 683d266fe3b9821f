/**
 * The Wilcoxon signed-rank test on paired differences, two-sided, as SciPy's
 * `scipy.stats.wilcoxon(x, y)` with its default options (zero_method='wilcox',
 * correction=False, method='auto'):
 *
 * - zero differences are dropped, n is the count of the rest;
 * - ranks of |d| with ties given their average rank; T = min(R+, R−);
 * - exact null distribution when n ≤ 50 and there are no zeros and no ties (the rule of
 *   current SciPy and of @stdlib/stats-wilcoxon; SciPy ≤ 1.12 also used the exact table with
 *   ties, on a truncated rank sum), p = min(1, 2·min(P(R+ ≤ r), P(R+ ≥ r)));
 * - otherwise the normal approximation with the tie correction
 *   σ² = (n(n+1)(2n+1) − ½·Σ t(t²−1)) / 24, z = (T − n(n+1)/4) / σ, p = 2·Φ(−|z|).
 *
 * The distributions come from stdlib (the exact signed-rank CDF, and erfc for the normal tail,
 * which keeps tiny p-values relative-accurate where 1 − Φ(z) would round to 0). Works on typed
 * arrays so a 100,000-file comparison is two native sorts.
 *
 * Why not @stdlib/stats-wilcoxon itself (0.2.2, checked): it follows the same exact/normal rule,
 * but computes the two-sided normal p as 2·(1 − Φ(|z|)) (p under about 1e-16 becomes 0 and the
 * relative error grows in the tail: the 200-file contrast of issue 24 has p = 1.4e-34), returns
 * 2·P > 1 at the centre of the exact distribution, defaults to a continuity correction SciPy
 * does not apply, and builds JS arrays per element (ranks, tabulate, unique) where a large
 * comparison wants two typed-array sorts.
 */
import erfc from '@stdlib/math-base-special-erfc';
import signrankCdf from '@stdlib/stats-base-dists-signrank-cdf';

export const EXACT_MAX_N = 50;

export interface SignedRankResult {
  /** Non-zero differences (the test's n). */
  readonly n: number;
  /** Differences that were exactly 0 (dropped). */
  readonly zeros: number;
  /** Sum of the ranks of the positive and of the negative differences. */
  readonly rPlus: number;
  readonly rMinus: number;
  /** min(R+, R−), SciPy's two-sided statistic. */
  readonly statistic: number;
  /** Two-sided p-value; null when every difference is 0 (nothing to test). */
  readonly pValue: number | null;
  readonly method: 'exact' | 'normal';
  /** The normal approximation's z (null for the exact method). */
  readonly z: number | null;
  /**
   * Matched-pairs rank-biserial correlation (R+ − R−) / (R+ + R−), from −1 (every difference
   * negative) to 1: the effect size that belongs to this test.
   */
  readonly rankBiserial: number | null;
}

/** Two-sided signed-rank test of `d` (e.g. B − A per file) against a symmetric distribution around 0. */
export function signedRankTest(d: ArrayLike<number>): SignedRankResult {
  // |d| of the positive and of the negative differences, each sorted natively (a comparator
  // sort of indices was most of a 100,000-file comparison); ranks come from merging the two.
  let positives = 0;
  let zeros = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i]! > 0) positives++;
    else if (d[i] === 0) zeros++;
  }
  const pos = new Float64Array(positives);
  const neg = new Float64Array(d.length - positives - zeros);
  for (let i = 0, p = 0, q = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v > 0) pos[p++] = v;
    else if (v < 0) neg[q++] = -v;
  }
  pos.sort();
  neg.sort();
  const n = pos.length + neg.length;
  if (n === 0) return { n, zeros, rPlus: 0, rMinus: 0, statistic: 0, pValue: null, method: 'normal', z: null, rankBiserial: null };
  let rPlus = 0;
  let tieTerm = 0;
  let i = 0;
  let j = 0;
  let below = 0; // values ranked so far
  while (i < pos.length || j < neg.length) {
    const value = j >= neg.length || (i < pos.length && pos[i]! <= neg[j]!) ? pos[i]! : neg[j]!;
    let inPos = 0;
    while (i < pos.length && pos[i] === value) {
      i++;
      inPos++;
    }
    let inNeg = 0;
    while (j < neg.length && neg[j] === value) {
      j++;
      inNeg++;
    }
    const t = inPos + inNeg;
    const rank = below + (t + 1) / 2; // the average of ranks below+1 .. below+t
    rPlus += inPos * rank;
    if (t > 1) tieTerm += t * (t * t - 1);
    below += t;
  }
  const total = (n * (n + 1)) / 2;
  const rMinus = total - rPlus;
  const statistic = Math.min(rPlus, rMinus);
  const rankBiserial = (rPlus - rMinus) / total;
  if (n <= EXACT_MAX_N && zeros === 0 && tieTerm === 0) {
    // P(R+ ≤ s) for the smaller tail; the distribution is symmetric around total/2.
    const pValue = rPlus * 2 === total ? 1 : Math.min(1, 2 * signrankCdf(statistic, n));
    return { n, zeros, rPlus, rMinus, statistic, pValue, method: 'exact', z: null, rankBiserial };
  }
  const variance = (n * (n + 1) * (2 * n + 1) - 0.5 * tieTerm) / 24;
  const z = (statistic - total / 2) / Math.sqrt(variance);
  // 2·Φ(−|z|) = erfc(|z|/√2).
  const pValue = Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
  return { n, zeros, rPlus, rMinus, statistic, pValue, method: 'normal', z, rankBiserial };
}
