/**
 * `--regression-test`: the statistical gate of `--baseline`. Per checked metric, over the files
 * matched with the baseline (ok on both sides): the change of the mean in percent of the
 * baseline's mean, a 95 % interval of that change (the interval of the mean paired difference
 * over |baseline mean|), and the Wilcoxon signed-rank p-value of the paired differences. The
 * metric fails when its mean got worse by more than `minEffectPercent` AND p < alpha: a
 * systematic drift of a few percent over every file fails even when no single file moved much,
 * and noise that moves single files a lot but the mean not at all passes. (The per-file
 * `--max-regression` rule answers the other question: did any one file get much worse.)
 */
import type { Direction } from '../report/verdicts.js';
import type { MeanRegressionTest } from '../report/comparison.js';
import { formatNumber } from '../report/stats.js';
import { DEFAULT_RESAMPLES, meanInterval, seedFor } from './stats/bootstrap.js';
import { signedRankTest } from './stats/wilcoxon.js';

export type { MeanRegressionTest };

export const DEFAULT_REGRESSION_ALPHA = 0.01;
export const DEFAULT_MIN_EFFECT_PERCENT = 1;

export interface RegressionTestOptions {
  readonly alpha?: number;
  readonly minEffectPercent?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

function sumMean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${formatNumber(Number(value.toFixed(2)))}%`;
}

function pText(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : formatNumber(Number(p.toPrecision(2)));
}

/** Tests one metric's mean change; `current[i]` and `baseline[i]` are one matched file. */
export function testMeanRegression(
  column: string,
  direction: Direction,
  current: ArrayLike<number>,
  baseline: ArrayLike<number>,
  options: RegressionTestOptions = {},
): MeanRegressionTest {
  const alpha = options.alpha ?? DEFAULT_REGRESSION_ALPHA;
  const minEffectPercent = options.minEffectPercent ?? DEFAULT_MIN_EFFECT_PERCENT;
  const n = current.length;
  const head = `regression test ${column}`;
  const empty = { column, direction, n, alpha, minEffectPercent, changePercent: null, ciPercent: null, pValue: null, failed: false };
  if (n === 0) return { ...empty, mean: null, baselineMean: null, message: `${head}: no matched file has a value on both sides; not tested` };
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = current[i]! - baseline[i]!;
  const mean = sumMean(current);
  const baselineMean = sumMean(baseline);
  const test = signedRankTest(d);
  if (baselineMean === 0) {
    return { ...empty, mean, baselineMean, pValue: test.pValue, message: `${head}: the baseline mean is 0, a percent change is undefined; not tested` };
  }
  const scale = 100 / Math.abs(baselineMean);
  const changePercent = (mean - baselineMean) * scale;
  const ci = meanInterval(d, options.resamples ?? DEFAULT_RESAMPLES, seedFor(options.seed ?? 0, `regression\u0000${column}`))!;
  const ciPercent = { low: ci.low * scale, high: ci.high * scale, method: ci.method };
  const worsePercent = direction === 'lower-is-better' ? changePercent : -changePercent;
  const failed = worsePercent > minEffectPercent && test.pValue !== null && test.pValue < alpha;
  const p = test.pValue === null ? 'no differences' : `p = ${pText(test.pValue)}`;
  const facts =
    `mean ${formatNumber(baselineMean)} -> ${formatNumber(mean)} (${signed(changePercent)}, 95% CI ${signed(ciPercent.low)} to ${signed(ciPercent.high)}), ` +
    `Wilcoxon ${p} over ${n} files`;
  const verdict = failed
    ? `FAILED: worse by more than ${formatNumber(minEffectPercent)}% and significant at ${formatNumber(alpha)}`
    : worsePercent > minEffectPercent
      ? `passed: worse by more than ${formatNumber(minEffectPercent)}% but not significant at ${formatNumber(alpha)}`
      : `passed: not worse by more than ${formatNumber(minEffectPercent)}%`;
  return { column, direction, n, mean, baselineMean, changePercent, ciPercent, pValue: test.pValue, alpha, minEffectPercent, failed, message: `${head}: ${facts}; ${verdict}` };
}
