/**
 * `--baseline` + `--max-regression` through the real CLI: a baseline run of version 1 of the
 * outputs, then version 2 where two files got worse, one got better, one pair is gone and one is
 * new. Baselines in JSONL, CSV and JSON; one percent for the default metrics and per-metric
 * allowances; refusing baselines from other weights or families; malformed allowances.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  between,
  cli,
  messages,
  parseJsonlText,
  removeDir,
  tempDir,
  writeCorpus,
  writeTinyCheckpoint,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

let root: string;
let v1: string;
let v2: string;
let base: Map<string, Rec>;
let current: Map<string, Rec>;

const WORSE = ['syn/spk1/u03.wav', 'syn/spk2/u07.wav'];
const BETTER = 'syn/spk1/u05.wav';
const GONE = 'syn/spk1/u00.wav';
const NEW = 'syn/spk2/u12.wav';

function keyed(records: readonly Rec[]): Map<string, Rec> {
  return new Map(records.map((r) => [r.syn as string, r]));
}

function percent(key: string, column = 'fm'): number {
  const before = base.get(key)![column] as number;
  return ((current.get(key)![column] as number) - before) / before * 100;
}

beforeAll(async () => {
  root = tempDir('baseline');
  v1 = path.join(root, 'v1');
  v2 = path.join(root, 'v2');
  await writeTinyCheckpoint(path.join(root, 'D.pth'), { seed: 1 });
  await writeTinyCheckpoint(path.join(root, 'D-other.pth'), { seed: 2 });
  await writeTinyCheckpoint(path.join(root, 'H.pth'), { family: 'hifigan', seed: 1 });
  await writeCorpus(v1);
  // Version 2: u03 three times the noise, u07 twice, u05 half; u00 gone, u12 new.
  await writeCorpus(v2, { count: 13, levels: (i) => 0.01 * (i + 1) * (i === 3 ? 3 : i === 7 ? 2 : i === 5 ? 0.5 : 1) });
  await rm(path.join(v2, 'ref/spk1/u00.wav'));
  await rm(path.join(v2, 'syn/spk1/u00.wav'));

  for (const ext of ['jsonl', 'csv', 'json']) {
    const run = await cli(v1, ['score', 'ref', 'syn', '-w', '../D.pth', '-q', '-o', `../base.${ext}`]);
    expect(run.code).toBe(0);
  }
  const before = await cli(v1, ['score', 'ref', 'syn', '-w', '../D.pth', '-q', '--format', 'jsonl']);
  base = keyed(parseJsonlText(before.stdout));
  const after = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '-q', '--format', 'jsonl']);
  current = keyed(parseJsonlText(after.stdout));
  expect([...current.keys()]).toHaveLength(12);
  // The corpus does what it says: the two worse files are far beyond 5%, the rest unchanged or better.
  for (const key of WORSE) expect(percent(key)).toBeGreaterThan(50);
  expect(percent(BETTER)).toBeLessThan(0);
  expect(percent('syn/spk1/u01.wav')).toBe(0);
});
afterAll(() => removeDir(root));

function compare(baseline: string, extra: readonly string[] = []) {
  return cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--format', 'jsonl', '--baseline', baseline, ...extra]);
}

/** The `file column a -> b (+x%, allowed y%)` lines of the baseline block. */
function regressions(stderr: string): { file: string; column: string; change: number; allowed: number }[] {
  return [...stderr.matchAll(/^ {2}(\S+) (\S+) \S+ -> \S+ \(([+-][\d.e+-]+)%, allowed ([\d.]+)%\)$/gm)].map((m) => ({
    file: m[1]!,
    column: m[2]!,
    change: Number(m[3]),
    allowed: Number(m[4]),
  }));
}

describe.each(['jsonl', 'csv', 'json'])('a %s baseline', (ext) => {
  test('same outputs as the baseline: exit 0, every file matched', async () => {
    const run = await cli(v1, ['score', 'ref', 'syn', '-w', '../D.pth', '--baseline', `../base.${ext}`, '--max-regression', '0']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`baseline ../base.${ext}: 12 files matched, 0 new, 0 missing`);
    expect(run.stderr).toMatch(/^ {2}fm: mean \S+ \(baseline \S+, \+0%\) over 12 files; lower-is-better, allowed 0% per file$/m);
    expect(run.stderr).toMatch(/^ {2}mel_l1: mean \S+ \(baseline \S+, \+0%\) over 12 files; lower-is-better, allowed 0% per file$/m);
    expect(run.stderr).not.toContain('regressed');
  });

  test('regressions beyond the default 5% are listed, worst first, and fail the run (exit 1)', async () => {
    const run = await compare(`../base.${ext}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`baseline ../base.${ext}: 11 files matched, 1 new, 1 missing`);
    const listed = regressions(run.stderr);
    const fm = listed.filter((r) => r.column === 'fm');
    expect(fm.map((r) => r.file)).toEqual([...WORSE].sort((a, b) => percent(b) - percent(a)));
    for (const r of fm) {
      expect(r.allowed).toBe(5);
      expect(Math.abs(r.change - percent(r.file))).toBeLessThan(0.01);
    }
    // Only changed files can regress: the better one and the untouched ones are never listed.
    for (const r of listed) expect(WORSE).toContain(r.file);
    expect(run.stderr).toMatch(new RegExp(`^regressed beyond the allowance \\(${listed.length}\\):$`, 'm'));
    expect(run.stderr).toContain(`new (not in baseline): ${NEW}`);
    expect(run.stderr).toContain(`missing (only in baseline): ${GONE}`);
    // The report is written in full all the same.
    expect(parseJsonlText(run.stdout)).toHaveLength(12);
  });
});

test('within the allowance: exit 0, and new/missing files are reported without failing the run', async () => {
  const run = await compare('../base.jsonl', ['--max-regression', '1000', '-q']);
  expect(run.code).toBe(0);
  // -q: a passing comparison prints nothing.
  expect(run.stderr).toBe('');

  const loud = await compare('../base.jsonl', ['--max-regression', '1000']);
  expect(loud.code).toBe(0);
  expect(loud.stderr).toContain('11 files matched, 1 new, 1 missing');
  expect(loud.stderr).toContain(`new (not in baseline): ${NEW}`);
  expect(loud.stderr).toContain(`missing (only in baseline): ${GONE}`);
  expect(regressions(loud.stderr)).toEqual([]);
});

test('per-metric allowances: only the named metrics are checked, each with its own percent', async () => {
  const [worst, second] = [...WORSE].sort((a, b) => percent(b) - percent(a));
  const allowed = between(percent(second!), percent(worst!));
  const run = await compare('../base.csv', ['--max-regression', `fm=${allowed}`, '-q']);
  expect(run.code).toBe(1);
  // -q still prints a failed comparison.
  expect(regressions(run.stderr)).toEqual([{ file: worst, column: 'fm', change: expect.any(Number), allowed }]);
  expect(run.stderr).toMatch(new RegExp(`^ {2}fm: .* allowed ${allowed}% per file$`, 'm'));
  expect(run.stderr).not.toMatch(/^ {2}mel_l1: /m);

  const generous = await compare('../base.csv', ['--max-regression', 'fm=1000,mel_l1=1000', '-q']);
  expect(generous.code).toBe(0);

  // A default percent and a named metric together ("5,gen=10"): fm and mel_l1 at 1000%, gen too.
  const mixed = await compare('../base.json', ['--max-regression', '1000,gen=1000']);
  expect(mixed.code).toBe(0);
  expect(mixed.stderr).toMatch(/^ {2}gen: .* allowed 1000% per file$/m);
});

test('a regression fails the run (exit 1) even when every gate passes', async () => {
  const run = await compare('../base.jsonl', ['-q', '--fail-if', 'mean(fm) > 100']);
  expect(run.code).toBe(1);
  expect(regressions(run.stderr).length).toBeGreaterThan(0);
});

describe('baselines from another model are refused before scoring (exit 2)', () => {
  test.each([
    ['other weights of the same family', 'D-other.pth', /base\.\w+ was scored with gpt-sovits with sha256:[0-9a-f]{64}, this run with gpt-sovits with sha256:[0-9a-f]{64}/],
    ['another family', 'H.pth', /base\.\w+ was scored with gpt-sovits with sha256:[0-9a-f]{64}, this run with hifigan with sha256:[0-9a-f]{64}/],
  ])('%s', async (_, weights, detail) => {
    for (const ext of ['jsonl', 'csv', 'json']) {
      const run = await cli(v2, ['score', 'ref', 'syn', '-w', `../${weights}`, '-o', 'never.csv', '--baseline', `../base.${ext}`]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(messages(run.stderr)).toEqual([expect.stringMatching(new RegExp(`^tts-critic: error: cannot compare with baseline \\.\\./base\\.${ext}: `))]);
      expect(run.stderr).toMatch(detail);
      expect(run.stderr).toContain('score the baseline again with the same model');
      expect(run.stderr).not.toContain('files:'); // nothing was scored
      expect(existsSync(path.join(v2, 'never.csv'))).toBe(false);
    }
  });

  test('a baseline scored with another --segment (JSON records it)', async () => {
    const run = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--segment', '0.1', '--baseline', '../base.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot compare with baseline \.\.\/base\.json: \.\.\/base\.json was scored with windows of 64000 samples, this run with windows of 3200 samples; use the same --segment/);
  });
});

describe('malformed --max-regression and --baseline exit 2 before scoring', () => {
  test.each([
    ['abc', /invalid --max-regression "abc": expected a percent \(a number ≥ 0\) for the default metrics, got "abc"/],
    ['-5', /invalid --max-regression "-5": expected a percent/],
    ['fm=', /invalid --max-regression "fm=": expected a percent \(a number ≥ 0\) for "fm", got ""/],
    ['=5', /expected a metric name before "="/],
    ['5,6', /more than one percent for the default metrics/],
    ['fm=5,fm=6', /"fm" is given twice/],
    ['fm=5,,mel_l1=5', /empty entry between commas/],
    ['foo=5', /unknown column "foo" \(did you mean "fm"\?\)/],
    ['ref=5', /column "ref" holds text, not numbers/],
    ['', /expected a percent or metric=percent pairs/],
  ])('--max-regression %j', async (spec, message) => {
    const run = await compare('../base.jsonl', ['--max-regression', spec]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual([expect.stringMatching(message)]);
    expect(run.stderr).toContain('(example: --max-regression 5 or --max-regression fm=5,mel_l1=10)');
  });

  test('--max-regression without --baseline', async () => {
    const run = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--max-regression', '5']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual(['tts-critic: error: --max-regression needs --baseline FILE, the earlier report to compare with']);
  });

  test('a baseline that does not exist or is not a report', async () => {
    const missing = await compare('../nope.jsonl');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/error: cannot read \.\.\/nope\.jsonl: ENOENT/);

    const notReport = await compare('../D.pth', ['--max-regression', '5']);
    expect(notReport.code).toBe(2);
    expect(notReport.stdout).toBe('');
    expect(messages(notReport.stderr)).toEqual(['tts-critic: error: ../D.pth is not a tts-critic report (CSV, JSON or JSONL): it holds binary data']);
  });
});
