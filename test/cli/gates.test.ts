/**
 * `--fail-if` gates through the CLI (in-process). The corpus is scored once, to a saved report;
 * every form of gate (per file, mean, median, pNN, min, max, count), every comparison, main and
 * per-sub columns, several gates at once and the messages of failed gates are checked with
 * `merge report.jsonl --fail-if ...`, which evaluates gates on the saved rows without scoring
 * again. `score --fail-if` itself is checked where scoring is what matters: that it gates the
 * rows it scored (exit 1, the report complete), per-layer columns with --layers, malformed
 * expressions (exit 2 before anything is scored; every message also through merge) and the
 * precedence of a failed gate (1) over failed files (3).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  between,
  cli,
  column,
  expectPrinted,
  messages,
  meanOf,
  parseJsonlText,
  percentileOf,
  pipelineFolder,
  removeDir,
  type Corpus,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

let root: string;
let corpus: Corpus;
/** The ungated run's records, in key order: the truth the gates are checked against. */
let records: Rec[];

beforeAll(async () => {
  corpus = await pipelineFolder('gates');
  root = corpus.root;
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '-o', 'scores.jsonl']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  records = parseJsonlText(readFileSync(path.join(root, 'scores.jsonl'), 'utf8'));
  expect(records).toHaveLength(12);
  // The corpus is built so that fm grows with the noise level, i.e. with the pair index.
  const fm = column(records, 'fm');
  expect([...fm].sort((a, b) => a - b)).toEqual(fm);
});
afterAll(() => removeDir(root));

/** Gates on the saved report: `merge scores.jsonl --fail-if ... -q`. */
function gated(gates: readonly string[]) {
  return cli(root, ['merge', 'scores.jsonl', '--format', 'jsonl', '-q', ...gates.flatMap((g) => ['--fail-if', g])]);
}

/** The files of `records` sorted by `name`, highest first. */
function highest(name: string, count: number): string[] {
  return [...records]
    .sort((a, b) => (b[name] as number) - (a[name] as number))
    .slice(0, count)
    .map((r) => r.syn as string);
}

describe('score --fail-if gates the rows it scored', () => {
  test('"fm > X" fails when any file is above X, naming the files above it worst first; the report is complete', async () => {
    const fm = column(records, 'fm');
    const threshold = between(fm[8]!, fm[9]!); // exactly the three worst files are above it
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--format', 'jsonl', '-q', '--fail-if', `fm > ${threshold}`]);
    expect(run.code).toBe(1);
    const lines = messages(run.stderr);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toContain(`gate "fm > ${threshold}" failed: 3 files above ${threshold}; worst: `);
    const listed = [...line.matchAll(/(syn\/\S+\.wav) \(([^)]+)\)/g)];
    expect(listed.map((m) => m[1])).toEqual(highest('fm', 3));
    for (const m of listed) expectPrinted(m[2]!, records.find((r) => r.syn === m[1])!.fm as number);
    // A gate decides the exit code, not what is written: every record, as the ungated run wrote it.
    expect(parseJsonlText(run.stdout)).toEqual(records);
  });

  test('a passing gate: exit 0, nothing on stderr with -q', async () => {
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--fail-if', `max(fm) > ${between(Math.max(...column(records, 'fm')), 10)}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('per-file gates', () => {
  test('"fm > X" on the saved report fails exactly like the scoring run; the merged report is complete', async () => {
    const fm = column(records, 'fm');
    const threshold = between(fm[8]!, fm[9]!);
    const run = await gated([`fm > ${threshold}`]);
    expect(run.code).toBe(1);
    expect(messages(run.stderr)).toEqual([expect.stringContaining(`gate "fm > ${threshold}" failed: 3 files above ${threshold}; worst: `)]);
    expect([...messages(run.stderr)[0]!.matchAll(/(syn\/\S+\.wav) \(/g)].map((m) => m[1])).toEqual(highest('fm', 3));
    expect(parseJsonlText(run.stdout)).toHaveLength(12);
  });

  test('"fm > X" passes (exit 0, nothing on stderr with -q) when no file is above X', async () => {
    const run = await gated([`fm > ${between(Math.max(...column(records, 'fm')), 10)}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  test('per-sub columns: "fm_p2 >= X" and "gen_s < X"', async () => {
    const p2 = [...column(records, 'fm_p2')].sort((a, b) => a - b);
    const t = between(p2[10]!, p2[11]!);
    const fails = await gated([`fm_p2 >= ${t}`]);
    expect(fails.code).toBe(1);
    expect(messages(fails.stderr)).toEqual([expect.stringContaining(`gate "fm_p2 >= ${t}" failed: 1 file at or above ${t}; worst: ${highest('fm_p2', 1)[0]} (`)]);

    const genS = column(records, 'gen_s');
    const low = Math.min(...genS);
    const passes = await gated([`gen_s < ${between(low - 1, low)}`]);
    expect(passes.stderr).toBe('');
    expect(passes.code).toBe(0);
  });

  test('"windows == 1" fails for every file; "windows != 1" passes', async () => {
    const eq = await gated(['windows == 1']);
    expect(eq.code).toBe(1);
    expect(messages(eq.stderr)[0]).toContain('gate "windows == 1" failed: 12 files equal to 1');
    const ne = await gated(['windows != 1']);
    expect(ne.code).toBe(0);
  });
});

describe('aggregate gates', () => {
  const cases: [string, string, (values: number[]) => number][] = [
    ['mean', 'fm', meanOf],
    ['median', 'mel_l1', (v) => percentileOf(v, 50)],
    ['p95', 'fm_p2', (v) => percentileOf(v, 95)],
    ['p50', 'fm', (v) => percentileOf(v, 50)],
    ['max', 'gen_s', (v) => Math.max(...v)],
    ['min', 'fm', (v) => Math.min(...v)],
  ];

  test.each(cases)('%s(%s): fails above its value with the value and the worst files, passes below', async (fn, col, compute) => {
    const value = compute(column(records, col));
    const under = between(value * 0.9, value);
    const over = between(value, value * 1.1);

    const failing = await gated([`${fn}(${col}) > ${under}`]);
    expect(failing.code).toBe(1);
    const line = messages(failing.stderr)[0]!;
    const match = new RegExp(`^tts-critic: gate "${fn}\\(${col}\\) > ${under}" failed: ${fn}\\(${col}\\) = (\\S+) over 12 files, above ${under}; worst: (.*)$`).exec(line);
    expect(match).not.toBeNull();
    expectPrinted(match![1]!, value);
    // Worst files of an upper bound: the highest values first.
    expect([...match![2]!.matchAll(/(syn\/\S+\.wav) \(/g)].map((m) => m[1])).toEqual(highest(col, 5));

    const passing = await gated([`${fn}(${col}) > ${over}`]);
    expect(passing.stderr).toBe('');
    expect(passing.code).toBe(0);
  });

  test('a lower bound ("mean(fm) < X") lists the lowest files as the worst', async () => {
    const value = meanOf(column(records, 'fm'));
    const t = between(value, value * 1.5);
    const run = await gated([`mean(fm) < ${t}`]);
    expect(run.code).toBe(1);
    const line = messages(run.stderr)[0]!;
    expect(line).toContain(`below ${t}; worst: syn/spk1/u00.wav (`);
  });

  test('count(fm > X) compares how many files match', async () => {
    const fm = column(records, 'fm');
    const t = between(fm[8]!, fm[9]!); // three files above
    const fails = await gated([`count(fm > ${t}) > 2`]);
    expect(fails.code).toBe(1);
    const line = messages(fails.stderr)[0]!;
    expect(line).toContain(`gate "count(fm > ${t}) > 2" failed: 3 files above ${t} (of 12); worst: `);
    expect([...line.matchAll(/(syn\/\S+\.wav) \(/g)].map((m) => m[1])).toEqual(highest('fm', 3));

    // 3 files match: "> 3" and "!= 3" do not hold, so both gates pass.
    const passes = await gated([`count(fm > ${t}) > 3`, `count(fm > ${t}) != 3`]);
    expect(passes.stderr).toBe('');
    expect(passes.code).toBe(0);
  });
});

test('several gates at once: each failing one is reported in order, passing ones are silent', async () => {
  const fm = column(records, 'fm');
  const mel = column(records, 'mel_l1');
  const gates = [
    `max(fm) > ${between(Math.max(...fm), 10)}`, // passes
    `mean(fm) > ${between(0, meanOf(fm))}`, // fails
    `p95(mel_l1) >= ${between(0, percentileOf(mel, 95))}`, // fails
    `count(gen > 1000) > 0`, // passes
  ];
  const run = await gated(gates);
  expect(run.code).toBe(1);
  const lines = messages(run.stderr);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toContain(`gate "${gates[1]}" failed`);
  expect(lines[1]).toContain(`gate "${gates[2]}" failed`);

  const allPass = await gated([gates[0]!, gates[3]!]);
  expect(allPass.code).toBe(0);
});

test('score gates work on per-layer columns with --layers, and only with it', async () => {
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--format', 'jsonl', '-q', '--layers', '--fail-if', 'max(fm_s_0) > 0', '--fail-if', 'fm_p11_0 < 0']);
  expect(run.code).toBe(1);
  // The first fails (distances are positive), the second passes (no file is below 0).
  expect(messages(run.stderr)).toEqual([expect.stringMatching(/gate "max\(fm_s_0\) > 0" failed: max\(fm_s_0\) = \S+ over 12 files, above 0/)]);

  const without = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--format', 'jsonl', '-q', '--fail-if', 'max(fm_s_0) > 0']);
  expect(without.code).toBe(2);
  expect(without.stderr).toContain('unknown column "fm_s_0"');
});

test('merge to CSV and report to HTML gate per-layer columns too (those rows are built whole)', async () => {
  expect((await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--layers', '-o', 'layers.jsonl'])).code).toBe(0);
  const layered = parseJsonlText(readFileSync(path.join(root, 'layers.jsonl'), 'utf8'));
  const firstLayer = layered.map((r) => (r['fm_layers'] as unknown as Record<string, number[]>)['s']![0]!);
  const max = Math.max(...firstLayer);
  const failing = await cli(root, ['merge', 'layers.jsonl', '-q', '-o', 'layers.csv', '--fail-if', `max(fm_s_0) > ${between(0, max)}`]);
  expect(failing.code).toBe(1);
  expect(messages(failing.stderr)).toEqual([expect.stringContaining(`max(fm_s_0) = ${max.toPrecision(5)}`)]);
  const passing = await cli(root, ['merge', 'layers.jsonl', '-q', '-o', 'layers.csv', '--fail-if', `max(fm_s_0) > ${between(max, 10)}`]);
  expect(passing.code).toBe(0);
  // The HTML page, made from rows without per-layer cells, too.
  const page = await cli(root, ['report', 'layers.jsonl', '-q', '-o', 'layers.html', '--fail-if', `max(fm_s_0) > ${between(0, max)}`]);
  expect(page.code).toBe(1);
  expect(messages(page.stderr)).toEqual([expect.stringContaining(`max(fm_s_0) = ${max.toPrecision(5)}`)]);
});

describe('malformed expressions exit 2 before anything is scored or written', () => {
  const cases: [string, RegExp][] = [
    ['mean(fm) >', /invalid --fail-if "mean\(fm\) >": expected a number after ">"/],
    ['foo > 1', /invalid --fail-if "foo > 1": unknown column "foo" \(did you mean "fm"\?\): expected one of .*fm, gen, real, fake, disc, mel_l1.* with <sub> one of s, p2, p3, p5, p7, p11/],
    ['fm >> 1', /invalid --fail-if "fm >> 1": expected a number after ">", got ">"/],
    ['mean(fm > 1', /invalid --fail-if "mean\(fm > 1": expected "\)" after "fm", got ">"/],
    ['fm = 1', /"=" is not a comparison, use "=="/],
    ['fm 1', /expected a comparison \(> >= < <= == !=\) after "fm", got "1"/],
    ['avg(fm) > 1', /unknown aggregate "avg": expected mean, median, min, max, p<N> \(like p95\) or count/],
    ['p101(fm) > 1', /a percentile must be p0 to p100, got "p101"/],
    ['mean(ref) > 1', /column "ref" holds text, not numbers/],
    ['count(fm) > 1', /count needs a condition, e.g. count\(fm > 0.4\) > 3/],
    ['fm > 1 and gen > 2', /unexpected "and" after the number 1/],
    ['mean(fm) > abc', /expected a number after ">", got "abc"/],
    ['fm_p4 > 1', /unknown column "fm_p4" \(did you mean "fm_p2"\?\)/],
    ['', /expected a column or an aggregate such as mean\(fm\)/],
  ];

  /** The contract of a refused expression; without -q, had anything been done the summary would be on stderr. */
  function expectRefused(run: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual([expect.stringMatching(message)]);
    expect(run.stderr).toContain('(example: --fail-if "mean(fm) > 0.3")');
    expect(run.stderr).not.toMatch(/files: \d+ ok/);
    expect(existsSync(path.join(root, 'never.jsonl'))).toBe(false);
  }

  // The columns come from the model for score and from the report for merge: both name them the same.
  test.each(cases.filter(([expression]) => ['mean(fm) >', 'foo > 1', 'fm_p4 > 1'].includes(expression)))('score --fail-if %j', async (expression, message) => {
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-o', 'never.jsonl', '--fail-if', 'mean(fm) > 100', '--fail-if', expression]);
    expectRefused(run, message);
  });

  test.each(cases)('merge --fail-if %j', async (expression, message) => {
    const run = await cli(root, ['merge', 'scores.jsonl', '-o', 'never.jsonl', '--fail-if', 'mean(fm) > 100', '--fail-if', expression]);
    expectRefused(run, message);
  });

  test('--fail-if without a value is a usage error', async () => {
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--fail-if']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/option '--fail-if <expr>' argument missing/);
  });
});

describe('a failed gate takes precedence over failed files', () => {
  beforeAll(async () => {
    // Two good pairs, one whose synthesized file is missing (error) and one without a partner.
    const [a, b] = corpus.pairs;
    await writeFile(path.join(root, 'with-failures.csv'), `ref,syn\n${a!.ref},${a!.syn}\n${b!.ref},${b!.syn}\n${b!.ref},syn/missing.wav\nref/spk1/u05.wav,\n`);
  });

  test('failing gate + failed files: exit 1, both reported', async () => {
    const run = await cli(root, ['score', '--pairs', 'with-failures.csv', '-w', 'D.pth', '--format', 'jsonl', '--fail-if', 'fm > 0']);
    expect(run.code).toBe(1);
    const rows = parseJsonlText(run.stdout);
    expect(rows.map((r) => r.status)).toEqual(['ok', 'ok', 'error', 'unpaired']);
    expect(rows[2]!.error).toMatch(/^syn\/missing\.wav: /);
    expect(run.stderr).toContain('not scored (2):');
    // Only ok files count for a gate.
    expect(messages(run.stderr)).toContainEqual(expect.stringContaining('gate "fm > 0" failed: 2 files above 0;'));
  });

  test('passing gate + failed files: exit 3', async () => {
    const run = await cli(root, ['score', '--pairs', 'with-failures.csv', '-w', 'D.pth', '-q', '--fail-if', 'fm > 100']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
  });

  test('a gate with no ok file to look at fails (a gate that cannot be checked never passes)', async () => {
    await writeFile(path.join(root, 'only-failures.csv'), 'ref,syn\nref/spk1/u00.wav,syn/missing.wav\n');
    const run = await cli(root, ['score', '--pairs', 'only-failures.csv', '-w', 'D.pth', '-q', '--fail-if', 'mean(fm) > 100']);
    expect(run.code).toBe(1);
    expect(messages(run.stderr)).toEqual([expect.stringContaining('gate "mean(fm) > 100" failed: cannot be checked, no file was scored ok')]);
  });
});
