/**
 * `--shard I/N` and `tts-critic merge` through the CLI (in-process): every pair in exactly one
 * shard, the union of the shards equal to the unsharded run, balance, bad specs; merging shard
 * outputs of mixed formats into each format, gates on the merged result, refusing mixed models,
 * duplicates and cut-short shards. The corpus is scored once unsharded and once in three
 * shards (written as CSV, JSONL and JSON); the merge tests work on those saved shards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shardOf } from '../../src/pipeline/shard.js';
import {
  between,
  byKey,
  cli,
  column,
  csvColumns,
  expectSameRecords,
  messages,
  meanOf,
  parseCsvText,
  parseJsonlText,
  pipelineFolder,
  removeDir,
  scoreJsonl,
  type CliRun,
  type Corpus,
  type JsonDoc,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

/** Shard i+1 of 3 is written to SHARDS[i]: one of each format. */
const SHARDS = ['shard-1.csv', 'shard-2.jsonl', 'shard-3.json'];

let root: string;
let corpus: Corpus;
let full: Rec[];
/** The CSV header `score` writes for this model. */
let scoreCsvHeader: string[];
let shardRuns: CliRun[];

beforeAll(async () => {
  corpus = await pipelineFolder('shards', { otherWeights: true });
  root = corpus.root;
  full = (await scoreJsonl(root)).records;
  expect(full).toHaveLength(12);
  shardRuns = [];
  for (const [i, file] of SHARDS.entries()) shardRuns.push(await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', `${i + 1}/3`, '-o', file]));
  const [a] = corpus.pairs;
  await writeFile(path.join(root, 'one.csv'), `ref,syn\n${a!.ref},${a!.syn}\n`);
  scoreCsvHeader = csvColumns((await cli(root, ['score', '--pairs', 'one.csv', '-w', 'D.pth', '-q'])).stdout);
});
afterAll(() => removeDir(root));

function readRecords(file: string): Rec[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  if (file.endsWith('.csv')) return parseCsvText(text);
  if (file.endsWith('.jsonl')) return parseJsonlText(text);
  return (JSON.parse(text) as JsonDoc).files;
}

describe('--shard I/N', () => {
  test('N = 3: every pair in exactly one shard, the union equal to the unsharded run, balanced-ish', () => {
    const shards: Rec[][] = [];
    for (const [i, run] of shardRuns.entries()) {
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('');
      const records = readRecords(SHARDS[i]!);
      expect(messages(run.stderr)[0]).toBe(`tts-critic: shard ${i + 1}/3: ${records.length} of 12 pairs`);
      expect(run.stderr).toContain(`tts-critic: ${records.length} files: ${records.length} ok`);
      shards.push(records);
    }
    const keys = shards.flat().map((r) => r.syn as string);
    expect(new Set(keys).size).toBe(keys.length); // disjoint
    expectSameRecords(shards.flat(), full); // union = unsharded, same numbers
    for (const [i, records] of shards.entries()) {
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThanOrEqual(8); // at most twice the fair share of 4
      // Assignment by the pairing key (relative path without extension), stable everywhere.
      for (const r of records) expect(shardOf((r.syn as string).replace(/^syn\//, '').replace(/\.wav$/, ''), 3)).toBe(i + 1);
    }
  });

  test('the same shards whatever the working folder and however the folders are written', async () => {
    const relative = readRecords('shard-2.jsonl');
    const absolute = await cli(path.dirname(root), [
      'score',
      path.join(root, 'ref') + '/',
      path.join(root, 'syn'),
      '-w',
      path.join(root, 'D.pth'),
      '-q',
      '--shard',
      '2/3',
      '--format',
      'jsonl',
    ]);
    expect(absolute.code).toBe(0);
    const names = (records: Rec[]) => records.map((r) => path.relative(path.join(root, 'syn'), path.resolve(root, r.syn as string)));
    expect(names(parseJsonlText(absolute.stdout))).toEqual(names(relative));
  });

  test('balance over 300 manifest pairs (missing files: error rows, nothing to decode)', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `ref/m${i}.wav,syn/m${i}.wav`);
    await writeFile(path.join(root, 'many.csv'), `ref,syn\n${lines.join('\n')}\n`);
    const seen = new Set<string>();
    for (let i = 1; i <= 3; i++) {
      const run = await cli(root, ['score', '--pairs', 'many.csv', '-w', 'D.pth', '-q', '--shard', `${i}/3`, '--format', 'jsonl']);
      expect(run.code).toBe(3); // every row is an error row
      const records = parseJsonlText(run.stdout);
      expect(records.length).toBeGreaterThan(70);
      expect(records.length).toBeLessThan(130);
      for (const r of records) {
        expect(seen.has(r.syn as string)).toBe(false);
        seen.add(r.syn as string);
      }
    }
    expect(seen.size).toBe(300);
  });

  test('a shard with no pairs writes an empty report and exits 0', async () => {
    // With 12 keys, shard 1 of 40 is empty (checked against the hash).
    expect(corpus.pairs.some((p) => shardOf(p.key, 40) === 1)).toBe(false);
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', '1/40', '-o', 'empty.json']);
    expect(run.code).toBe(0);
    expect(messages(run.stderr)[0]).toBe('tts-critic: shard 1/40: 0 of 12 pairs');
    const doc = JSON.parse(readFileSync(path.join(root, 'empty.json'), 'utf8')) as JsonDoc;
    expect(doc.files).toEqual([]);
    expect(doc.summary.files).toBe(0);
  });

  test.each([
    ['0/3', /the shard index I must be from 1 to 3 \(shards are numbered from 1\)/],
    ['4/3', /the shard index I must be from 1 to 3/],
    ['a/b', /expected I\/N, two whole numbers such as 2\/4/],
    ['1/0', /the shard count N must be at least 1/],
    ['3', /expected I\/N/],
    ['1/3/3', /expected I\/N/],
    ['-1/3', /expected I\/N/],
    ['1.5/3', /expected I\/N/],
    [' 2 / 3x', /expected I\/N/],
  ])('--shard %j exits 2', async (spec, message) => {
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', spec]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual([expect.stringMatching(new RegExp(`^tts-critic: error: invalid --shard "${spec}": `))]);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('(example: --shard 1/4 runs the first of four shards)');
  });
});

test('--shard auto in a Slurm array task, with -o {shard}: the same records as --shard I/N', async () => {
  const slurm = { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_STEP: '1' };
  Object.assign(process.env, slurm);
  try {
    const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', 'auto', '-o', 'auto-{shard}.jsonl']);
    expect(run.code).toBe(0);
    expect(messages(run.stderr).slice(0, 2)).toEqual(['tts-critic: --shard auto: Slurm array task 2 of 1-3', expect.stringMatching(/^tts-critic: shard 2\/3: \d+ of 12 pairs$/)]);
    expectSameRecords(readRecords('auto-2.jsonl'), readRecords('shard-2.jsonl'));
  } finally {
    for (const name of Object.keys(slurm)) delete process.env[name];
  }
  const outside = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', 'auto']);
  expect(outside.code).toBe(2);
  expect(outside.stderr).toContain('nothing in the environment says which task of a job array this is');
});

test('an empty --shard (an unset variable in a job script) is refused, not taken as "no sharding"', async () => {
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', '']);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain("error: option '--shard <i/n>' argument '' is invalid. expected a value, got an empty string.");
});

describe('merge', () => {
  test.each([
    ['CSV on stdout', [], null],
    ['-o all.csv', ['-o', 'all.csv'], 'all.csv'],
    ['-o all.jsonl', ['-o', 'all.jsonl'], 'all.jsonl'],
    ['-o all.json', ['-o', 'all.json'], 'all.json'],
    ['--format jsonl on stdout', ['--format', 'jsonl'], null],
  ] as const)('csv + jsonl + json shards -> %s: the unsharded records, sorted by key', async (_, args, file) => {
    const run = await cli(root, ['merge', ...SHARDS, ...args]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('tts-critic: 12 files: 12 ok, 0 error, 0 unpaired');
    let records: Rec[];
    if (file) {
      expect(run.stdout).toBe('');
      records = readRecords(file);
    } else {
      records = args.length === 0 ? parseCsvText(run.stdout) : parseJsonlText(run.stdout);
    }
    expect(records.map((r) => r.syn)).toEqual(full.map((r) => r.syn as string).sort());
    expectSameRecords(records, full);
    if (file === 'all.csv' || args.length === 0) {
      // The contract columns come first, in order (per-layer columns from JSON inputs may follow).
      const text = file ? readFileSync(path.join(root, file), 'utf8') : run.stdout;
      expect(csvColumns(text).slice(0, scoreCsvHeader.length)).toEqual(scoreCsvHeader);
    }
    if (file === 'all.json') {
      const doc = JSON.parse(readFileSync(path.join(root, file), 'utf8')) as JsonDoc;
      expect(doc.model['family']).toBe('gpt-sovits');
      expect(doc.summary.files).toBe(12);
    }
  });

  test('--fail-if on the merged result: 1 when it fails, 0 when it passes, 2 when malformed', async () => {
    const mean = meanOf(column(full, 'fm'));
    const failing = await cli(root, ['merge', ...SHARDS, '-q', '--fail-if', `mean(fm) > ${between(0, mean)}`]);
    expect(failing.code).toBe(1);
    expect(messages(failing.stderr)).toEqual([expect.stringContaining(`mean(fm) = `)]);
    expect(messages(failing.stderr)[0]).toContain('over 12 files'); // all shards, not one

    const passing = await cli(root, ['merge', ...SHARDS, '-q', '--fail-if', `mean(fm) > ${between(mean, 10)}`]);
    expect(passing.stderr).toBe('');
    expect(passing.code).toBe(0);

    const malformed = await cli(root, ['merge', ...SHARDS, '-o', 'never.csv', '--fail-if', 'mean(fm) >']);
    expect(malformed.code).toBe(2);
    expect(messages(malformed.stderr)).toEqual([expect.stringContaining('invalid --fail-if "mean(fm) >": expected a number after ">"')]);
    expect(existsSync(path.join(root, 'never.csv'))).toBe(false);
  });

  test('reports from different models are refused (exit 2), nothing written', async () => {
    const other = await cli(root, ['score', 'ref', 'syn', '-w', 'D-other.pth', '-q', '--shard', '3/3', '-o', 'other-3.jsonl']);
    expect(other.code).toBe(0);
    for (const inputs of [
      ['shard-1.csv', 'shard-2.jsonl', 'other-3.jsonl'],
      ['other-3.jsonl', 'shard-3.json'],
    ]) {
      const run = await cli(root, ['merge', ...inputs, '-o', 'never.jsonl']);
      expect(run.code).toBe(2);
      expect(messages(run.stderr)).toEqual([
        expect.stringMatching(/^tts-critic: error: cannot merge reports scored with different models: \S+ was scored with gpt-sovits with sha256:[0-9a-f]{64}, \S+ with gpt-sovits with sha256:[0-9a-f]{64}$/),
      ]);
      expect(existsSync(path.join(root, 'never.jsonl'))).toBe(false);
    }
  });

  test('duplicates are reported (the last one is kept), exit 0', async () => {
    const run = await cli(root, ['merge', 'shard-2.jsonl', 'shard-1.csv', 'shard-2.jsonl', '--format', 'jsonl']);
    expect(run.code).toBe(0);
    const shard2 = readRecords('shard-2.jsonl');
    const duplicates = messages(run.stderr).filter((m) => m.includes('duplicate record'));
    expect(duplicates).toEqual(
      shard2.map((r) => `tts-critic: duplicate record for ${r.syn} in shard-2.jsonl, shard-2.jsonl: kept the last`).sort(),
    );
    const merged = parseJsonlText(run.stdout);
    expect(merged).toHaveLength(shard2.length + readRecords('shard-1.csv').length);
    expect(byKey(merged).size).toBe(merged.length);
  });

  test('a shard cut short (killed writer): the partial last line is dropped and said so', async () => {
    const text = readFileSync(path.join(root, 'shard-2.jsonl'), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    await writeFile(path.join(root, 'cut.jsonl'), `${lines.slice(0, -1).join('\n')}\n${lines.at(-1)!.slice(0, 80)}`);
    const run = await cli(root, ['merge', 'shard-1.csv', 'cut.jsonl', '--format', 'jsonl']);
    expect(run.code).toBe(0);
    expect(messages(run.stderr)).toContainEqual('tts-critic: cut.jsonl: dropped a cut-short last line (that shard was interrupted)');
    expect(parseJsonlText(run.stdout)).toHaveLength(readRecords('shard-1.csv').length + lines.length - 1);
  });

  test('merged error rows give exit 3, a failed gate still 1', async () => {
    await writeFile(path.join(root, 'one-missing.csv'), 'ref,syn\nref/spk1/u00.wav,syn/missing.wav\n');
    const withError = await cli(root, ['score', '--pairs', 'one-missing.csv', '-w', 'D.pth', '-q', '-o', 'errors.jsonl']);
    expect(withError.code).toBe(3);
    const run = await cli(root, ['merge', ...SHARDS, 'errors.jsonl', '-q', '--format', 'jsonl']);
    expect(run.code).toBe(3);
    expect(parseJsonlText(run.stdout).filter((r) => r.status === 'error')).toHaveLength(1);
    const gated = await cli(root, ['merge', ...SHARDS, 'errors.jsonl', '-q', '--fail-if', 'fm > 0']);
    expect(gated.code).toBe(1);
  });

  test('usage errors: no files, a missing file, a binary file', async () => {
    const none = await cli(root, ['merge']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'files'");
    const missing = await cli(root, ['merge', 'shard-1.csv', 'nope.jsonl']);
    expect(missing.code).toBe(2);
    expect(messages(missing.stderr)).toEqual([expect.stringMatching(/^tts-critic: error: cannot read nope\.jsonl: ENOENT/)]);
    const binary = await cli(root, ['merge', 'shard-1.csv', 'D.pth']);
    expect(binary.code).toBe(2);
    expect(messages(binary.stderr)).toEqual(['tts-critic: error: D.pth is not a tts-critic report (CSV, JSON or JSONL): it holds binary data']);
  });
});
