/**
 * `compare` and `--regression-test` through the CLI (in-process) on generated reports of 200
 * files (test/helpers/compare-reports.ts): A; B = A × 1.03 with ±1 % noise; C = A + zero-mean
 * noise. The done-when contrast of issue 24:
 * - compare ranks A and C together and B apart;
 * - `merge X --baseline A --regression-test` fails B and passes C;
 * - the per-file rule at 5 % (`--max-regression 5`) fails C and passes B.
 * Then the formats, names, --reference, files missing from some reports, and the usage errors
 * (mismatched models before any statistics).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMain } from '../helpers/cli.js';
import { jsonl, keyOf, rowFor, writeContrast, type Systems } from '../helpers/compare-reports.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let dir: string;
let systems: Systems;
// Fewer resamples than the default keep the suite fast; the statistics do not depend on them.
const FAST = ['--resamples', '2000'];

beforeAll(() => {
  dir = tempDir('compare');
  systems = writeContrast(dir);
});
afterAll(() => removeDir(dir));

const run = (args: readonly string[], env?: Record<string, string>) => runMain(args, { cwd: dir, ...(env ? { env } : {}) });

interface JsonComparison {
  comparison: {
    paired: number;
    missing: { file: string; presentIn: string[] }[];
    metrics: {
      metric: string;
      n: number;
      systems: { system: string; mean: number; ci: { low: number; high: number; method: string } }[];
      pairs: { a: string; b: string; pValue: number; pHolm: number; significant: boolean; better: string | null; changePercent: number; aBetter: number; bBetter: number; ties: number; effectSize: number }[];
      ranking: { system: string; rank: number }[];
    }[];
  };
}

async function compareJson(args: readonly string[]): Promise<JsonComparison> {
  const result = await run(['compare', ...args, '--format', 'json', ...FAST]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as JsonComparison;
}

describe('the done-when contrast', () => {
  test('compare ranks A and C together and B apart, on every metric', async () => {
    const { comparison } = await compareJson(['A.jsonl', 'B.jsonl', 'C.jsonl']);
    expect(comparison.paired).toBe(200);
    expect(comparison.metrics.map((m) => m.metric)).toEqual(['fm', 'mel_l1', 'mel_dtw', 'gen']);
    for (const m of comparison.metrics.filter((x) => x.metric !== 'gen')) {
      const rank = Object.fromEntries(m.ranking.map((r) => [r.system, r.rank]));
      expect(rank['A']).toBe(rank['C']);
      expect(rank['B']).toBe(rank['A']! + 1);
      const ab = m.pairs.find((p) => p.a === 'A' && p.b === 'B')!;
      expect(ab.significant).toBe(true);
      expect(ab.better).toBe('A');
      expect(ab.changePercent).toBeCloseTo(3, 0);
      expect(ab.aBetter).toBe(1);
      const ac = m.pairs.find((p) => p.a === 'A' && p.b === 'C')!;
      expect(ac.significant).toBe(false);
      expect(ac.pHolm).toBeGreaterThan(0.05);
    }
    // gen is the same constant in every system: every difference is 0, nothing to test, one rank.
    const gen = comparison.metrics.find((m) => m.metric === 'gen')!;
    expect(gen.pairs.every((p) => p.pValue === null && p.ties === 1)).toBe(true);
    expect(new Set(gen.ranking.map((r) => r.rank))).toEqual(new Set([1]));
  });

  test('--regression-test fails B against A and passes C', async () => {
    const b = await run(['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--regression-test', '-o', 'merged-b.jsonl']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/regression test fm: mean [\d.]+ -> [\d.]+ \(\+(?:2\.9\d|3\.\d+)%, 95% CI \+\d\.\d+% to \+\d\.\d+%\), Wilcoxon p = [\d.e-]+ over 200 files; FAILED/);
    expect(b.stderr).toMatch(/regression test mel_l1: .*FAILED/);
    const c = await run(['merge', 'C.jsonl', '--baseline', 'A.jsonl', '--regression-test', '-o', 'merged-c.jsonl']);
    expect(c.stderr).toMatch(/regression test fm: .* over 200 files; passed/);
    expect(c.code).toBe(0);
  });

  test('the per-file rule at 5 % fails C and passes B', async () => {
    const b = await run(['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--max-regression', '5', '-o', 'merged-b.jsonl']);
    expect(b.code).toBe(0);
    const c = await run(['merge', 'C.jsonl', '--baseline', 'A.jsonl', '--max-regression', '5', '-o', 'merged-c.jsonl']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/regressed beyond the allowance \(\d+\)/);
  });

  test('--regression-test with --max-regression applies both rules; --alpha and --min-effect move the gate', async () => {
    const both = await run(['merge', 'C.jsonl', '--baseline', 'A.jsonl', '--regression-test', '--max-regression', '5', '-o', 'm.jsonl']);
    expect(both.code).toBe(1); // the per-file rule fails C
    const lenient = await run(['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--regression-test', '--min-effect', '4', '-o', 'm.jsonl']);
    expect(lenient.code).toBe(0); // +3 % is below a 4 % minimum effect
    expect(lenient.stderr).toMatch(/passed: not worse by more than 4%/);
  });

  test('the step summary in GitHub Actions gets the regression test', async () => {
    const summary = path.join(dir, 'summary-rt.md');
    writeFileSync(summary, '');
    const b = await run(['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--regression-test', '-q', '-o', 'm.jsonl'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/::error title=tts-critic%3A mean fm regressed::regression test fm/);
    expect(readFileSync(summary, 'utf8')).toMatch(/Regression test[\s\S]*❌ failed \| fm \| \+(?:2\.9\d|3\.\d+)%/);
  });
});

describe('compare outputs', () => {
  test('the terminal table ranks, gives CIs, p-values and the interval method', async () => {
    const result = await run(['compare', 'A.jsonl', 'B.jsonl', 'C.jsonl', '--metric', 'fm', ...FAST]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^compare 3 systems \(A, B, C\): 200 files in every report, 0 in some only/);
    expect(result.stdout).toMatch(/fm \(lower is better\), n = 200/);
    expect(result.stdout).toMatch(/B − A\s+\+0\.0\d+\s+\[[\d.]+, [\d.]+\]\s+\+(?:2\.9\d|3\.\d\d)%/);
    expect(result.stdout).toMatch(/A better/);
    expect(result.stdout).toMatch(/percentile bootstrap of the mean, 2000 resamples, seed 0/);
  });

  test('bit-for-bit reproducible across runs; --seed changes the intervals only', async () => {
    const first = await run(['compare', 'A.jsonl', 'B.jsonl', '--format', 'csv', ...FAST]);
    const second = await run(['compare', 'A.jsonl', 'B.jsonl', '--format', 'csv', ...FAST]);
    expect(second.stdout).toBe(first.stdout);
    const other = await run(['compare', 'A.jsonl', 'B.jsonl', '--format', 'csv', '--seed', '5', ...FAST]);
    expect(other.stdout).not.toBe(first.stdout);
    const p = (csv: string) => csv.split('\n').filter((l) => l.startsWith('pair,')).map((l) => l.split(',')[15]);
    expect(p(other.stdout)).toEqual(p(first.stdout));
    expect(first.stdout.split('\n')[0]).toMatch(/^kind,metric,system,a,b,n,rank,mean,median,ci_low,ci_high,ci_method,/);
  });

  test('markdown, html (self-contained, with the scatter and audio links), and -o by extension', async () => {
    const md = await run(['compare', 'A.jsonl', 'B.jsonl', '--format', 'markdown', ...FAST]);
    expect(md.stdout).toMatch(/^## tts-critic compare: /);
    expect(md.stdout).toMatch(/\| rank \| system \| mean \| 95% CI \| median \|/);
    const html = await run(['compare', 'A.jsonl', 'B.jsonl', 'C.jsonl', '-o', 'cmp.html', '-q', ...FAST]);
    expect(html.code).toBe(0);
    expect(html.stderr).toBe('');
    const page = readFileSync(path.join(dir, 'cmp.html'), 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('uPlot');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(page).toMatch(/<svg[^>]*aria-label="fm per system"/);
    expect(page).toMatch(/<svg[^>]*aria-label="paired differences of fm"/);
    // No audio next to these reports: no links, said so in the page.
    const data = JSON.parse(/<script id="compare-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!) as { scatter: { files: string[]; hrefs: (string | null)[][] }[] };
    expect(data.scatter[0]!.files).toHaveLength(200);
    expect(data.scatter[0]!.hrefs[0]!.every((h) => h === null)).toBe(true);
  });

  test('the HTML links audio that resolves next to the report', async () => {
    const sub = path.join(dir, 'linked');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(sub, 'syn'), { recursive: true });
    writeFileSync(path.join(sub, 'syn', `${keyOf(0)}.wav`), 'RIFF');
    writeFileSync(path.join(sub, 'A.jsonl'), jsonl(systems.A.map((v, i) => rowFor(keyOf(i), v))));
    writeFileSync(path.join(sub, 'B.jsonl'), jsonl(systems.B.map((v, i) => rowFor(keyOf(i), v))));
    const html = await run(['compare', 'linked/A.jsonl', 'linked/B.jsonl', '-o', 'linked/cmp.html', '-q', ...FAST]);
    expect(html.code).toBe(0);
    const page = readFileSync(path.join(sub, 'cmp.html'), 'utf8');
    const data = JSON.parse(/<script id="compare-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!) as { scatter: { hrefs: (string | null)[][] }[] };
    expect(data.scatter[0]!.hrefs[0]![0]).toBe(`syn/${keyOf(0)}.wav`);
    expect(data.scatter[0]!.hrefs[0]![1]).toBeNull();
  });

  test('GitHub Actions: the markdown goes to the step summary', async () => {
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '');
    const result = await run(['compare', 'A.jsonl', 'C.jsonl', ...FAST], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(result.code).toBe(0);
    expect(readFileSync(summary, 'utf8')).toMatch(/^## tts-critic compare: /);
  });
});

describe('pairing, names and reference', () => {
  test('files missing from some reports are counted, listed and left out; not-ok rows drop from that metric', async () => {
    const rowsA = systems.A.slice(0, 20).map((v, i) => rowFor(keyOf(i), v));
    const rowsB = systems.B.slice(0, 20).map((v, i) => rowFor(keyOf(i), i === 3 ? null : v));
    rowsA.push(rowFor('only-a', systems.A[50]!));
    rowsB.push(rowFor('only-b', systems.B[51]!));
    writeFileSync(path.join(dir, 'p.jsonl'), jsonl(rowsA));
    writeFileSync(path.join(dir, 'q.jsonl'), jsonl(rowsB));
    const { comparison } = await compareJson(['p.jsonl', 'q.jsonl', '--names', 'old,new', '--metric', 'fm']);
    expect(comparison.paired).toBe(20);
    expect(comparison.missing).toEqual([
      { file: 'syn/only-a.wav', presentIn: ['old'] },
      { file: 'syn/only-b.wav', presentIn: ['new'] },
    ]);
    expect(comparison.metrics[0]!.n).toBe(19);
    expect(comparison.metrics[0]!.pairs[0]).toMatchObject({ a: 'old', b: 'new' });
  });

  test('outputs in different folders scored on the same refs pair by ref path', async () => {
    const moved = systems.B.map((v, i) => ({ ...rowFor(keyOf(i), v), syn: `v2/${keyOf(i)}.wav` }));
    writeFileSync(path.join(dir, 'moved.jsonl'), jsonl(moved));
    const { comparison } = await compareJson(['A.jsonl', 'moved.jsonl', '--metric', 'fm']);
    expect(comparison.paired).toBe(200);
    expect(comparison.missing).toEqual([]);
  });

  test('--reference compares each system with the reference only', async () => {
    const { comparison } = await compareJson(['A.jsonl', 'B.jsonl', 'C.jsonl', '--reference', 'A', '--metric', 'fm']);
    expect(comparison.metrics[0]!.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(['A-B', 'A-C']);
  });

  test('any report format: CSV and JSON inputs give the same statistics as JSONL', async () => {
    expect((await run(['merge', 'A.jsonl', '-q', '-o', 'A.csv'])).code).toBe(0);
    expect((await run(['merge', 'B.jsonl', '-q', '-o', 'B.json'])).code).toBe(0);
    const fromJsonl = await compareJson(['A.jsonl', 'B.jsonl', '--metric', 'fm,mel_l1']);
    const mixed = await compareJson(['A.csv', 'B.json', '--metric', 'fm,mel_l1', '--names', 'A,B']);
    expect(mixed.comparison.metrics).toEqual(fromJsonl.comparison.metrics);
  });
});

describe('usage errors (exit 2, nothing compared)', () => {
  test.each([
    ['other weights', 'sha256:def', 'gpt-sovits', /cannot compare reports scored differently: A \(A\.jsonl\) was scored with gpt-sovits with sha256:abc, X \(X\.jsonl\) with gpt-sovits with sha256:def; score every system with the same model/],
    ['another family', 'sha256:abc', 'hifigan', /was scored with gpt-sovits with sha256:abc, X \(X\.jsonl\) with hifigan with sha256:abc/],
  ])('mismatched models: %s', async (_what, weights, family, message) => {
    writeFileSync(path.join(dir, 'X.jsonl'), jsonl(systems.B.map((v, i) => rowFor(keyOf(i), v, weights, family))));
    const result = await run(['compare', 'A.jsonl', 'X.jsonl']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  test('mismatched windows in JSON reports', async () => {
    const seg = (samples: number) => {
      const model = { family: 'gpt-sovits', sample_rate: 32000, subs: ['s', 'p2'], weights: 'checkpoint', seed: null, checkpoint: 'D.pth', sha256: 'abc', precision: null, provider: 'cpu', adapter: null, segment_samples: samples, align: 'offset', max_offset_samples: 8000 };
      return `${JSON.stringify({ tool: 'tts-critic', version: '0', model, files: systems.A.slice(0, 5).map((v, i) => ({ ...rowFor(keyOf(i), v), weights: 'sha256:abc' })) })}\n`;
    };
    writeFileSync(path.join(dir, 'w1.json'), seg(64000));
    writeFileSync(path.join(dir, 'w2.json'), seg(32000));
    const result = await run(['compare', 'w1.json', 'w2.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/windows of 64000 samples, .* windows of 32000 samples; use the same --segment/);
  });

  test.each([
    [['compare', 'A.jsonl'], /at least two reports/],
    [['compare', 'A.jsonl', 'B.jsonl', '--names', 'x'], /--names gives 1 names for 2 reports/],
    [['compare', 'A.jsonl', 'B.jsonl', '--names', 'x,x'], /--names must be unique/],
    [['compare', 'A.jsonl', 'B.jsonl', '--reference', 'Z'], /--reference "Z" is not one of the systems: A, B/],
    [['compare', 'A.jsonl', 'B.jsonl', '--metric', 'fake'], /cannot compare "fake": A\.jsonl has no values for it/],
    [['compare', 'A.jsonl', 'B.jsonl', '--alpha', '2'], /expected a number between 0 and 1/],
    [['compare', 'A.jsonl', 'nope.jsonl'], /cannot read nope\.jsonl/],
    [['merge', 'B.jsonl', '--regression-test'], /--regression-test needs --baseline/],
    [['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--min-effect', '2'], /--alpha and --min-effect go with --regression-test/],
  ])('%j', async (args, message) => {
    const result = await run(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('score --regression-test (a real run against a baseline)', () => {
  test('the same audio passes; noisier audio on every file fails; a missing --baseline is refused before scoring', async () => {
    const { writeCorpus, writeTinyCheckpoint } = await import('../helpers/pipeline-fixtures.js');
    const root = path.join(dir, 'scored');
    await writeTinyCheckpoint(path.join(dir, 'D.pth'), { seed: 1 });
    await writeCorpus(path.join(root, 'v1'), { count: 12 });
    // Every file 40 % more noise: a drift over all files, no file far beyond the rest.
    await writeCorpus(path.join(root, 'v2'), { count: 12, levels: (i) => 0.014 * (i + 1) });
    const score = (folder: string, extra: string[]) => runMain(['score', 'ref', 'syn', '-w', '../../D.pth', '-q', ...extra], { cwd: path.join(root, folder) });
    expect((await score('v1', ['-o', '../base.jsonl'])).code).toBe(0);
    const same = await score('v1', ['-o', '../same.jsonl', '--baseline', '../base.jsonl', '--regression-test']);
    expect(same.code).toBe(0);
    const worse = await score('v2', ['-o', '../worse.jsonl', '--baseline', '../base.jsonl', '--regression-test']);
    // The tiny model's fm barely follows noise (README, "Which metric when"); mel_l1 does, on every file: exact p = 2/2¹².
    expect(worse.stderr).toMatch(/regression test mel_l1: mean [\d.]+ -> [\d.]+ \(\+\d+\.\d+%, 95% CI .*\), Wilcoxon p = 0\.00049 over 12 files; FAILED/);
    expect(worse.code).toBe(1);
    const refused = await score('v1', ['--regression-test']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--regression-test needs --baseline/);
  });
});

test('JUnit shows a failed regression test as a failed case', async () => {
  const result = await runMain(['merge', 'B.jsonl', '--baseline', 'A.jsonl', '--regression-test', '-q', '--format', 'junit'], { cwd: dir });
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/<testcase classname="tts-critic\.regression-test" name="mean fm vs baseline A\.jsonl \(at most 1% worse, alpha 0\.01\)"[^>]*>\s*<failure[^>]*type="regression-test"/);
  // The per-file rule is off without --max-regression: no per-file cases.
  expect(result.stdout).not.toMatch(/tts-critic\.baseline/);
});

test('the HTML report shows the regression test verdicts', async () => {
  const result = await runMain(['report', 'B.jsonl', '--baseline', 'A.jsonl', '--regression-test', '-q', '-o', 'report-rt.html'], { cwd: dir });
  expect(result.code).toBe(1);
  const page = readFileSync(path.join(dir, 'report-rt.html'), 'utf8');
  expect(page).toMatch(/<h3>Regression test<\/h3><ul><li class="bad">regression test fm: mean [\d.]+ -&#62; [\d.]+ \(\+[\d.]+%, 95% CI/);
});
