/**
 * Reference-free scoring (`--syn-only DIR`, and `--syn-only` with a manifest of `syn` paths)
 * through the CLI (in-process, `main()`): only `gen`/`fake` and their per-sub columns have values,
 * everything computed from a reference is empty (CSV) or null (JSON, JSONL); gates and regression
 * limits on such columns are usage errors (exit 2, before scoring) since they could never be
 * checked.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GPT_SOVITS_SUBS,
  between,
  cli,
  column,
  csvColumns,
  expectPrinted,
  messages,
  meanOf,
  parseCsvText,
  parseJsonlText,
  pipelineFolder,
  removeDir,
  type Corpus,
  type JsonDoc,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

const REFERENCE_COLUMNS = ['ref_seconds', 'fm', 'real', 'disc', 'mel_l1', 'mel_dtw', 'offset_ms', ...GPT_SOVITS_SUBS.flatMap((s) => [`fm_${s}`, `real_${s}`])];
const SYN_COLUMNS = ['syn_seconds', 'gen', 'fake', ...GPT_SOVITS_SUBS.flatMap((s) => [`gen_${s}`, `fake_${s}`])];

let root: string;
let corpus: Corpus;
let records: Rec[];
let paired: Rec[];

beforeAll(async () => {
  corpus = await pipelineFolder('syn-only', { count: 6 });
  root = corpus.root;
  const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '--format', 'jsonl', '-q']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  records = parseJsonlText(run.stdout);
  const pairedRun = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--format', 'jsonl', '-q']);
  paired = parseJsonlText(pairedRun.stdout);
});
afterAll(() => removeDir(root));

test('JSONL: gen/fake per file and per sub, every reference-side value null', () => {
  expect(records.map((r) => r.syn)).toEqual(corpus.pairs.map((p) => p.syn));
  for (const r of records) {
    expect(r.status).toBe('ok');
    expect(r.ref).toBe('');
    for (const c of SYN_COLUMNS) expect(typeof r[c]).toBe('number');
    for (const c of REFERENCE_COLUMNS) expect(r[c]).toBeNull();
    expect((r as Record<string, unknown>).fm_layers).toBeNull();
  }
});

test('gen and fake are the discriminator scores of the synthesized file alone: the same as in a paired run', () => {
  for (const [i, r] of records.entries()) {
    for (const c of ['gen', 'fake', 'gen_s', 'fake_p11']) {
      expect(Math.abs((r[c] as number) - (paired[i]![c] as number))).toBeLessThanOrEqual(Math.abs(paired[i]![c] as number) * 1e-5);
    }
  }
});

test('CSV: the same columns as a paired run, reference-side cells empty', async () => {
  const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '-q']);
  expect(run.code).toBe(0);
  const pairedRun = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q']);
  expect(csvColumns(run.stdout)).toEqual(csvColumns(pairedRun.stdout));
  const rows = parseCsvText(run.stdout);
  expect(rows).toHaveLength(6);
  for (const row of rows) {
    expect(row.ref).toBe('');
    for (const c of REFERENCE_COLUMNS) expect(row[c]).toBeNull();
    for (const c of SYN_COLUMNS) expect(Number.isFinite(row[c])).toBe(true);
  }
});

test('the summary ranks by gen and shows the reference metrics as empty', async () => {
  const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '--format', 'json']);
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/^fm +0 +- +- +- +- +-$/m);
  expect(run.stderr).toMatch(/^mel_l1 +0 +- +- +- +- +-$/m);
  expect(run.stderr).toMatch(/^gen +6 /m);
  expect(run.stderr).toContain('worst by gen:');
  const doc = JSON.parse(run.stdout) as JsonDoc;
  expect(doc.summary.worst.metric).toBe('gen');
  expect(doc.summary.metrics['fm']).toEqual({ count: 0, mean: null, median: null, p95: null, min: null, max: null });
  expect(doc.summary.metrics['gen']!.count).toBe(6);
});

test('gates on gen and fake work as usual', async () => {
  const gen = column(records, 'gen');
  const mean = meanOf(gen);
  const failing = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '-q', '--fail-if', `mean(gen) > ${between(mean - 1, mean)}`]);
  expect(failing.code).toBe(1);
  const line = messages(failing.stderr)[0]!;
  expectPrinted(/mean\(gen\) = (\S+) over 6 files/.exec(line)![1]!, mean);

  const passing = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '-q', '--fail-if', `max(gen) > ${between(Math.max(...gen), 100)}`, '--fail-if', 'fake_p2 < 0']);
  expect(passing.stderr).toBe('');
  expect(passing.code).toBe(0);
});

describe('gates and regression limits on reference-side columns are refused before scoring (exit 2)', () => {
  test.each([
    ['fm > 0', 'fm'],
    ['mean(fm) > 1', 'fm'],
    ['count(fm > 1) > 0', 'fm'],
    ['p95(mel_l1) > 2', 'mel_l1'],
    ['disc > 1', 'disc'],
    ['max(fm_p2) > 0.1', 'fm_p2'],
    ['real_s > 0', 'real_s'],
    ['min(ref_seconds) < 1', 'ref_seconds'],
  ])('--fail-if %j', async (gate, name) => {
    const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '--fail-if', gate]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual([
      `tts-critic: error: invalid --fail-if "${gate}": "${name}" needs a reference recording and is always empty in a --syn-only run; ` +
        'use gen, fake, gen_<sub> or fake_<sub> (example: --fail-if "mean(gen) > 5")',
    ]);
  });

  test('--max-regression naming fm or mel_l1', async () => {
    const base = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '-q', '-o', 'syn-base.jsonl']);
    expect(base.code).toBe(0);
    const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '--baseline', 'syn-base.jsonl', '--max-regression', 'gen=5,mel_l1=5']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('invalid --max-regression "gen=5,mel_l1=5": "mel_l1" needs a reference recording');

    // merge cannot know its inputs are reference-free: there such a gate fails as unverifiable.
    const merged = await cli(root, ['merge', 'syn-base.jsonl', '-q', '--fail-if', 'mean(fm) > 1']);
    expect(merged.code).toBe(1);
    expect(messages(merged.stderr)).toEqual([
      'tts-critic: gate "mean(fm) > 1" failed: cannot be checked, no ok file has a value for "fm" (6 ok files without one)',
    ]);

    // The default metrics of a reference-free comparison: gen.
    const ok = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '--baseline', 'syn-base.jsonl']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('baseline syn-base.jsonl: 6 files matched, 0 new, 0 missing');
    expect(ok.stderr).toMatch(/^ {2}gen: mean \S+ \(baseline \S+, \+0%\) over 6 files; lower-is-better, allowed 5% per file$/m);
  });
});

// With --pairs the manifest lists the files and the DIR of --syn-only is not used (see the report).
test('--syn-only with a manifest of syn paths (no ref column)', async () => {
  const manifest = ['syn', ...corpus.pairs.slice(0, 3).map((p) => p.syn)].join('\n') + '\n';
  const run = await cli(root, ['score', '--syn-only', 'syn', '--pairs', '-', '-w', 'D.pth', '-q', '--format', 'jsonl'], { input: manifest });
  expect(run.code).toBe(0);
  const rows = parseJsonlText(run.stdout);
  expect(rows.map((r) => r.syn)).toEqual(corpus.pairs.slice(0, 3).map((p) => p.syn));
  for (const [i, r] of rows.entries()) expect(r.gen).toBe(records[i]!.gen);
});

test('--syn-only takes the folder itself: REF_DIR SYN_DIR as well is a usage error', async () => {
  const run = await cli(root, ['score', 'ref', 'syn', '--syn-only', 'syn', '-w', 'D.pth']);
  expect(run.code).toBe(2);
  expect(messages(run.stderr)).toEqual(['tts-critic: error: --syn-only DIR takes the folder itself; drop REF_DIR SYN_DIR']);
});

test('a file that is not audio costs one error row (exit 3)', async () => {
  await writeFile(path.join(root, 'syn', 'broken.wav'), 'not a wav file');
  try {
    const run = await cli(root, ['score', '--syn-only', 'syn', '-w', 'D.pth', '-q', '--format', 'jsonl']);
    expect(run.code).toBe(3);
    const rows = parseJsonlText(run.stdout);
    expect(rows).toHaveLength(7);
    expect(rows.find((r) => r.syn === 'syn/broken.wav')!.status).toBe('error');
  } finally {
    await rm(path.join(root, 'syn', 'broken.wav'));
  }
});
