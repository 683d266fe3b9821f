/**
 * compareReports / compareTables on reports in memory: the library's typed result, the paired
 * statistics against direct computations, the interval method switch, ranking groups, and the
 * mean regression test's direction handling. The CLI side is test/cli/compare.test.ts.
 */
import { compareReports, compareTables, tableFromReport } from '../../src/quality/index.js';
import { testMeanRegression } from '../../src/quality/regression-test.js';
import { signedRankTest } from '../../src/quality/stats/wilcoxon.js';
import { parseReport } from '../../src/report/read.js';
import { contrastSystems, jsonl, keyOf, randomSource, rowFor, type FileValues } from '../helpers/compare-reports.js';

function report(name: string, values: readonly FileValues[]) {
  return parseReport(jsonl(values.map((v, i) => rowFor(keyOf(i), v))), 'jsonl', `${name}.jsonl`);
}

const { A, B, C } = contrastSystems(200);

test('compareReports takes reports in memory and returns the typed result', async () => {
  const result = await compareReports([report('A', A), report('B', B)], { metrics: ['fm'], resamples: 500 });
  expect(result.systems.map((s) => s.name)).toEqual(['A', 'B']);
  const m = result.metrics[0]!;
  const meanA = A.reduce((s, v) => s + v.fm, 0) / A.length;
  const meanB = B.reduce((s, v) => s + v.fm, 0) / B.length;
  expect(m.systems[0]!.mean).toBeCloseTo(meanA, 12);
  const pair = m.pairs[0]!;
  expect(pair.meanDifference).toBeCloseTo(meanB - meanA, 12);
  expect(pair.pValue).toBe(signedRankTest(B.map((b, i) => b.fm - A[i]!.fm)).pValue);
  expect(pair.ci.low).toBeLessThan(pair.meanDifference);
  expect(pair.ci.high).toBeGreaterThan(pair.meanDifference);
  expect(pair.ci.method).toBe('bootstrap');
  expect(pair.aBetter + pair.bBetter + pair.ties).toBeCloseTo(1, 12);
  expect(pair.effectSize).toBe(-1); // A better on every file: −1 (positive would mean b better)
  expect(result.perFile[0]!.values[1]![7]).toBe(B[7]!.fm);
});

test('Holm covers every comparison of the run: three pairs on two metrics', () => {
  const tables = [report('A', A), report('B', B), report('C', C)].map((r) => tableFromReport(r, ['fm', 'mel_l1']));
  const result = compareTables(tables, { metrics: ['fm', 'mel_l1'], resamples: 200 });
  const pairs = result.metrics.flatMap((m) => m.pairs);
  expect(pairs).toHaveLength(6);
  const sorted = [...pairs].sort((x, y) => x.pValue! - y.pValue!);
  // The smallest raw p is multiplied by m = 6.
  expect(sorted[0]!.pHolm).toBeCloseTo(Math.min(1, 6 * sorted[0]!.pValue!), 15);
  for (const p of pairs) expect(p.pHolm!).toBeGreaterThanOrEqual(p.pValue!);
});

test('above the bootstrap budget the intervals are normal theory, and the note says so', () => {
  const r = randomSource(3);
  const big = Array.from({ length: 600 }, () => ({ fm: 2 + r.uniform(), mel_l1: 0.3, mel_dtw: 0.4 }));
  const other = big.map((v) => ({ ...v, fm: v.fm + 0.1 * r.normal() }));
  const result = compareTables([tableFromReport(report('X', big), ['fm']), tableFromReport(report('Y', other), ['fm'])], { metrics: ['fm'] });
  expect(result.metrics[0]!.systems[0]!.ci.method).toBe('normal');
  expect(result.intervalNote).toMatch(/normal theory \(mean ± 1\.96·s\/√n\) where n > 500 files/);
  const small = compareTables([tableFromReport(report('X', big), ['fm']), tableFromReport(report('Y', other), ['fm'])], { metrics: ['fm'], resamples: 1000 });
  expect(small.metrics[0]!.systems[0]!.ci.method).toBe('bootstrap');
});

test('ranking: a system shares the rank above only when different from no member of it', () => {
  const r = randomSource(9);
  const base = Array.from({ length: 120 }, () => 2 + r.uniform());
  const sys = (shift: number) => base.map((v) => ({ fm: v * (1 + shift), mel_l1: 0.3, mel_dtw: 0.4 }));
  // X = W with antithetic noise (+e on one file, −e on the next): no difference at all, p = 1;
  // Y and Z 3 % and 6 % worse on every file.
  let e = 0;
  const X = base.map((v, i) => ({ fm: v + (i % 2 === 0 ? (e = 0.05 * r.uniform()) : -e), mel_l1: 0.3, mel_dtw: 0.4 }));
  const systems = { W: sys(0), X, Y: sys(0.03), Z: sys(0.06) };
  const tables = Object.entries(systems).map(([name, values]) => tableFromReport(report(name, values), ['fm']));
  const result = compareTables(tables, { metrics: ['fm'], resamples: 200 });
  const rank = Object.fromEntries(result.metrics[0]!.ranking.map((e) => [e.system, e.rank]));
  expect(rank).toEqual({ W: 1, X: 1, Y: 2, Z: 3 });
});

test('testMeanRegression: direction, minimum effect and significance', () => {
  const r = randomSource(5);
  const base = Array.from({ length: 100 }, () => 1 + r.uniform());
  const worse = base.map((v) => v * 1.02);
  expect(testMeanRegression('fm', 'lower-is-better', worse, base, { resamples: 200 }).failed).toBe(true);
  // The same rise of a higher-is-better metric is an improvement.
  expect(testMeanRegression('fake', 'higher-is-better', worse, base, { resamples: 200 }).failed).toBe(false);
  // 2 % is below a 3 % minimum effect.
  expect(testMeanRegression('fm', 'lower-is-better', worse, base, { minEffectPercent: 3, resamples: 200 }).failed).toBe(false);
  // Large but not significant: 5 files, all worse, exact p = 0.0625 > 0.01.
  const five = testMeanRegression('fm', 'lower-is-better', [1.1, 1.25, 1.33, 1.47, 1.52], [1, 1.1, 1.2, 1.3, 1.4], { resamples: 200 });
  expect(five.pValue).toBe(0.0625);
  expect(five.failed).toBe(false);
  expect(five.message).toMatch(/passed: worse by more than 1% but not significant at 0\.01/);
  expect(testMeanRegression('fm', 'lower-is-better', [], []).message).toMatch(/not tested/);
});

test('the HTML scatter keeps at most 5,000 files per metric, an even subsample, and says of how many', async () => {
  const { renderCompareHtml, SCATTER_MAX } = await import('../../src/report/compare-html.js');
  const r = randomSource(11);
  const many = Array.from({ length: 12_001 }, () => ({ fm: 1 + r.uniform(), mel_l1: 0.3, mel_dtw: 0.4 }));
  const result = compareTables([tableFromReport(report('X', many), ['fm']), tableFromReport(report('Y', many), ['fm'])], { metrics: ['fm'] });
  const page = renderCompareHtml(result, { version: 'test' });
  const data = JSON.parse(/<script id="compare-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!) as { scatter: { total: number; files: string[] }[] };
  expect(data.scatter[0]!.total).toBe(12_001);
  expect(data.scatter[0]!.files.length).toBeLessThanOrEqual(SCATTER_MAX);
  expect(data.scatter[0]!.files.length).toBe(Math.ceil(12_001 / 3)); // every 3rd file
  expect(page.length).toBeLessThan(2_000_000);
});
