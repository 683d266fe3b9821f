/**
 * `--baseline` + `--max-regression` through the CLI (in-process): a baseline run of version 1
 * of the outputs, then version 2 where two files got worse, one got better, one pair is gone
 * and one is new. Each version is scored in full once: v1 to the saved baseline (JSON, turned
 * into JSONL and CSV by `merge`), v2 against it. Every other comparison scores only the few
 * pairs its behaviour needs (a `--pairs` manifest) against the saved baselines: each format,
 * one percent for the default metrics and per-metric allowances, -q, a regression with passing
 * gates. Baselines from other weights, families or window lengths and malformed allowances are
 * refused before anything is scored. The comparison itself is unit-tested on rows in
 * test/quality/baseline.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
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
  type CliRun,
  type JsonDoc,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

const FORMATS = ['jsonl', 'csv', 'json'] as const;
const WORSE = ['syn/spk1/u03.wav', 'syn/spk2/u07.wav'];
const BETTER = 'syn/spk1/u05.wav';
const GONE = 'syn/spk1/u00.wav';
const NEW = 'syn/spk2/u12.wav';

let root: string;
let v1: string;
let v2: string;
let base: Map<string, Rec>;
let current: Map<string, Rec>;
/** v2 scored in full against the JSONL baseline. */
let full: CliRun;

function keyed(records: readonly Rec[]): Map<string, Rec> {
  return new Map(records.map((r) => [r.syn as string, r]));
}

function percent(key: string, column = 'fm'): number {
  const before = base.get(key)![column] as number;
  return ((current.get(key)![column] as number) - before) / before * 100;
}

/** A manifest of the given synthesized files of `folder` and their references. */
async function manifest(folder: string, name: string, syns: readonly string[]): Promise<string> {
  await writeFile(path.join(folder, name), `ref,syn\n${syns.map((s) => `${s.replace(/^syn\//, 'ref/')},${s}`).join('\n')}\n`);
  return name;
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

  const before = await cli(v1, ['score', 'ref', 'syn', '-w', '../D.pth', '-q', '-o', '../base.json']);
  expect(before.code).toBe(0);
  for (const ext of ['jsonl', 'csv']) expect((await cli(root, ['merge', 'base.json', '-q', '-o', `base.${ext}`])).code).toBe(0);
  base = keyed((JSON.parse(readFileSync(path.join(root, 'base.json'), 'utf8')) as JsonDoc).files);

  full = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--baseline', '../base.jsonl', '-o', '../current.jsonl']);
  current = keyed(parseJsonlText(readFileSync(path.join(root, 'current.jsonl'), 'utf8')));
  expect([...current.keys()]).toHaveLength(12);
  // The corpus does what it says: the two worse files are far beyond 5%, the rest unchanged or better.
  for (const key of WORSE) expect(percent(key)).toBeGreaterThan(50);
  expect(percent(BETTER)).toBeLessThan(0);
  expect(percent('syn/spk1/u01.wav')).toBe(0);
});
afterAll(() => removeDir(root));

/** `score --pairs <manifest> --baseline <baseline>` in v2, JSONL on stdout. */
function compare(pairs: string, baseline: string, extra: readonly string[] = []) {
  return cli(v2, ['score', '--pairs', pairs, '-w', '../D.pth', '--format', 'jsonl', '--baseline', baseline, ...extra]);
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

/** The fm regressions listed: the worse files, worst first, each with its change and the allowance. */
function expectWorseListed(stderr: string): void {
  const listed = regressions(stderr);
  const fm = listed.filter((r) => r.column === 'fm');
  expect(fm.map((r) => r.file)).toEqual([...WORSE].sort((a, b) => percent(b) - percent(a)));
  for (const r of fm) {
    expect(r.allowed).toBe(5);
    expect(Math.abs(r.change - percent(r.file))).toBeLessThan(0.01);
  }
  // Only changed files can regress: the better one and the untouched ones are never listed.
  for (const r of listed) expect(WORSE).toContain(r.file);
  expect(stderr).toMatch(new RegExp(`^regressed beyond the allowance \\(${listed.length}\\):$`, 'm'));
}

test('the whole of v2: regressions beyond the default 5% listed worst first, new and missing files, exit 1', () => {
  expect(full.code).toBe(1);
  expect(full.stderr).toContain('baseline ../base.jsonl: 11 files matched, 1 new, 1 missing');
  expectWorseListed(full.stderr);
  expect(full.stderr).toContain(`new (not in baseline): ${NEW}`);
  expect(full.stderr).toContain(`missing (only in baseline): ${GONE}`);
  // The report is written in full all the same.
  expect(current.size).toBe(12);
});

describe.each(FORMATS)('a %s baseline', (ext) => {
  test('the same outputs as the baseline: +0%, exit 0 even with --max-regression 0', async () => {
    const pairs = await manifest(v1, 'two.csv', ['syn/spk1/u01.wav', 'syn/spk2/u09.wav']);
    const run = await cli(v1, ['score', '--pairs', pairs, '-w', '../D.pth', '--baseline', `../base.${ext}`, '--max-regression', '0']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`baseline ../base.${ext}: 2 files matched, 0 new, 10 missing`);
    expect(run.stderr).toMatch(/^ {2}fm: mean \S+ \(baseline \S+, \+0%\) over 2 files; lower-is-better, allowed 0% per file$/m);
    expect(run.stderr).toMatch(/^ {2}mel_l1: mean \S+ \(baseline \S+, \+0%\) over 2 files; lower-is-better, allowed 0% per file$/m);
    expect(run.stderr).not.toContain('regressed');
  });

  test('the changed files: the worse ones listed, the better one not, the new one reported (exit 1)', async () => {
    const pairs = await manifest(v2, 'changed.csv', [...WORSE, BETTER, NEW]);
    const run = await compare(pairs, `../base.${ext}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`baseline ../base.${ext}: 3 files matched, 1 new, 9 missing`);
    expectWorseListed(run.stderr);
    expect(run.stderr).toContain(`new (not in baseline): ${NEW}`);
    expect(run.stderr).toContain(`missing (only in baseline): ${GONE}, `);
    expect(parseJsonlText(run.stdout).map((r) => r.syn)).toEqual([...WORSE, BETTER, NEW]);
  });
});

test('within the allowance: exit 0, and new/missing files are reported without failing the run', async () => {
  const pairs = await manifest(v2, 'worse-and-new.csv', [WORSE[0]!, NEW]);
  const run = await compare(pairs, '../base.jsonl', ['--max-regression', '1000', '-q']);
  expect(run.code).toBe(0);
  // -q: a passing comparison prints nothing.
  expect(run.stderr).toBe('');

  const loud = await compare(pairs, '../base.jsonl', ['--max-regression', '1000']);
  expect(loud.code).toBe(0);
  expect(loud.stderr).toContain('1 files matched, 1 new, 11 missing');
  expect(loud.stderr).toContain(`new (not in baseline): ${NEW}`);
  expect(loud.stderr).toContain(`missing (only in baseline): ${GONE}`);
  expect(regressions(loud.stderr)).toEqual([]);
});

test('per-metric allowances: only the named metrics are checked, each with its own percent', async () => {
  const pairs = await manifest(v2, 'worse.csv', WORSE);
  const [worst, second] = [...WORSE].sort((a, b) => percent(b) - percent(a));
  const allowed = between(percent(second!), percent(worst!));
  const run = await compare(pairs, '../base.csv', ['--max-regression', `fm=${allowed}`, '-q']);
  expect(run.code).toBe(1);
  // -q still prints a failed comparison.
  expect(regressions(run.stderr)).toEqual([{ file: worst, column: 'fm', change: expect.any(Number), allowed }]);
  expect(run.stderr).toMatch(new RegExp(`^ {2}fm: .* allowed ${allowed}% per file$`, 'm'));
  expect(run.stderr).not.toMatch(/^ {2}mel_l1: /m);

  const generous = await compare(pairs, '../base.csv', ['--max-regression', 'fm=1000,mel_l1=1000', '-q']);
  expect(generous.code).toBe(0);

  // A default percent and a named metric together ("5,gen=10"): fm and mel_l1 at 1000%, gen too.
  const mixed = await compare(pairs, '../base.json', ['--max-regression', '1000,gen=1000']);
  expect(mixed.code).toBe(0);
  expect(mixed.stderr).toMatch(/^ {2}gen: .* allowed 1000% per file$/m);
});

test('a regression fails the run (exit 1) even when every gate passes', async () => {
  const run = await compare(await manifest(v2, 'worst.csv', [WORSE[0]!]), '../base.jsonl', ['-q', '--fail-if', 'mean(fm) > 100']);
  expect(run.code).toBe(1);
  expect(regressions(run.stderr).length).toBeGreaterThan(0);
});

describe('baselines from another model are refused before scoring (exit 2)', () => {
  test.each([
    ['other weights of the same family', 'D-other.pth', /base\.\w+ was scored with gpt-sovits with sha256:[0-9a-f]{64}, this run with gpt-sovits with sha256:[0-9a-f]{64}/],
    ['another family', 'H.pth', /base\.\w+ was scored with gpt-sovits with sha256:[0-9a-f]{64}, this run with hifigan with sha256:[0-9a-f]{64}/],
  ])('%s', async (_, weights, detail) => {
    for (const ext of FORMATS) {
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

  test('a baseline scored with another --align (JSON records it)', async () => {
    const run = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--align', 'none', '--baseline', '../base.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot compare with baseline \.\.\/base\.json: \.\.\/base\.json was scored with --align offset \(up to 16000 samples\), this run with --align none; use the same --align and --max-offset/,
    );
  });
});

describe('malformed --max-regression and --baseline exit 2 before scoring', () => {
  // Every message of the parser is unit-tested (test/quality/baseline.test.ts); here the CLI's
  // contract: a parse error and an unknown column of this model's report, exit 2, nothing out.
  test.each([
    ['abc', /invalid --max-regression "abc": expected a percent \(a number ≥ 0\) for the default metrics, got "abc"/],
    ['fm=5,fm=6', /invalid --max-regression "fm=5,fm=6": "fm" is given twice/],
    ['foo=5', /unknown column "foo" \(did you mean "fm"\?\)/],
    ['fm_p4=5', /unknown column "fm_p4" \(did you mean "fm_p2"\?\)/],
  ])('--max-regression %j', async (spec, message) => {
    const run = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--format', 'jsonl', '--baseline', '../base.jsonl', '--max-regression', spec]);
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
    const missing = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--baseline', '../nope.jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/error: cannot read \.\.\/nope\.jsonl: ENOENT/);

    const notReport = await cli(v2, ['score', 'ref', 'syn', '-w', '../D.pth', '--baseline', '../D.pth', '--max-regression', '5']);
    expect(notReport.code).toBe(2);
    expect(notReport.stdout).toBe('');
    expect(messages(notReport.stderr)).toEqual(['tts-critic: error: ../D.pth is not a tts-critic report (CSV, JSON or JSONL): it holds binary data']);
  });
});
