/**
 * The statistics under `compare` and `--regression-test`: the signed-rank test against SciPy's
 * own numbers (fixtures/wilcoxon-scipy.json, made by fixtures/wilcoxon-scipy.py with the SciPy
 * version recorded in it), Holm's correction, and the bootstrap's determinism.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bootstrapMeanInterval, meanInterval, mulberry32, normalMeanInterval, seedFor, BOOTSTRAP_BUDGET } from '../../src/quality/stats/bootstrap.js';
import { holmAdjust } from '../../src/quality/stats/holm.js';
import { signedRankTest } from '../../src/quality/stats/wilcoxon.js';
import { REPO_ROOT } from '../helpers/golden.js';

interface Case {
  readonly name: string;
  readonly method: string;
  readonly d: number[];
  readonly statistic: number;
  readonly pvalue: number;
}
const vectors = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/quality/fixtures/wilcoxon-scipy.json'), 'utf8')) as { scipy: string; cases: Case[] };

describe(`signedRankTest equals scipy.stats.wilcoxon (SciPy ${vectors.scipy})`, () => {
  test('the vectors cover exact and normal, with and without ties and zeros, n = 10 and n = 500', () => {
    const names = vectors.cases.map((c) => c.name).join('\n');
    expect(names).toMatch(/n10 exact/);
    expect(names).toMatch(/n10 ties/);
    expect(names).toMatch(/n10 zeros/);
    expect(names).toMatch(/n500 normal, no ties/);
    expect(names).toMatch(/n500 normal, ties and zeros/);
  });

  test.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = signedRankTest(c.d);
    expect(result.statistic).toBe(c.statistic);
    expect(result.pValue).not.toBeNull();
    expect(Math.abs(result.pValue! - c.pvalue)).toBeLessThanOrEqual(1e-6 * c.pvalue);
    const hasTiesOrZeros = new Set(c.d.map(Math.abs)).size < c.d.length || c.d.includes(0);
    expect(result.method).toBe(c.d.length <= 50 && !hasTiesOrZeros ? 'exact' : 'normal');
  });

  test('all-zero differences have nothing to test', () => {
    expect(signedRankTest([0, 0, 0]).pValue).toBeNull();
    expect(signedRankTest([]).pValue).toBeNull();
  });

  test('the rank-biserial effect is +1 / −1 when every difference has one sign', () => {
    expect(signedRankTest([1, 2, 3]).rankBiserial).toBe(1);
    expect(signedRankTest([-1, -2, -3, 0]).rankBiserial).toBe(-1);
  });
});

describe('holmAdjust', () => {
  test('step-down multipliers, monotone, capped at 1, nulls kept out of m', () => {
    // p sorted: 0.01 (×4), 0.02 (×3 = 0.06), 0.03 (×2 = 0.06), 0.5 (×1, capped by monotonicity → 0.5)
    expect(holmAdjust([0.03, null, 0.01, 0.5, 0.02])).toEqual([0.06, null, 0.04, 0.5, 0.06]);
    expect(holmAdjust([0.4, 0.3])).toEqual([0.6, 0.6]);
    expect(holmAdjust([0.9, 0.8])).toEqual([1, 1]);
  });
});

describe('bootstrap', () => {
  const values = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) / 7 + i / 50);

  test('mulberry32 is the generator of src/model/init.ts (same first outputs)', async () => {
    const { mulberry32Fill } = await import('../../src/model/init.js');
    const expected = new Float64Array(5);
    mulberry32Fill(1234, expected);
    const next = mulberry32(1234);
    expect(Array.from({ length: 5 }, () => next() / 4294967296)).toEqual(Array.from(expected));
  });

  test('the same seed gives the same bits; another seed other bits', () => {
    const a = bootstrapMeanInterval(values, 2000, 7);
    const b = bootstrapMeanInterval(values, 2000, 7);
    const c = bootstrapMeanInterval(values, 2000, 8);
    expect(Object.is(a.low, b.low) && Object.is(a.high, b.high)).toBe(true);
    expect(a).not.toEqual(c);
  });

  test('pinned bits: the interval is the same on every platform', () => {
    // Recorded once; integer PRNG and IEEE sums in a fixed order make this platform-independent.
    const ci = bootstrapMeanInterval(values, 1000, seedFor(0, 'x'));
    expect([ci.low, ci.high]).toEqual(PINNED);
  });

  test('the interval covers the mean and agrees with normal theory at n = 200', () => {
    const boot = bootstrapMeanInterval(values, 10_000, 1);
    const normal = normalMeanInterval(values);
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    expect(boot.low).toBeLessThan(m);
    expect(boot.high).toBeGreaterThan(m);
    const width = normal.high - normal.low;
    expect(Math.abs(boot.low - normal.low)).toBeLessThan(0.1 * width);
    expect(Math.abs(boot.high - normal.high)).toBeLessThan(0.1 * width);
  });

  test('above the budget the normal interval is used, and says so', () => {
    const big = new Float64Array(BOOTSTRAP_BUDGET / 10_000 + 1).map((_, i) => i % 7);
    expect(meanInterval(big, 10_000, 0)!.method).toBe('normal');
    expect(meanInterval(values, 10_000, 0)!.method).toBe('bootstrap');
    expect(meanInterval([], 10_000, 0)).toBeNull();
  });
});

const PINNED: number[] = [8.565338928571425, 9.742667857142857];
