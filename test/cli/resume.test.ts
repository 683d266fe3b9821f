/**
 * `--resume FILE.jsonl` through the CLI (in-process, `main()`): from a partial run (the first k
 * records, with and without a cut-short last line) only the missing pairs are scored, carried
 * records are kept as they are, the result has exactly one record per pair with the numbers of a
 * full run; a file that does not exist yet is a fresh run; records of other models are refused,
 * records of pairs outside this run (another shard or folder) are not carried. (Killing a run
 * mid-way is the end-to-end suite's interruption test.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  cli,
  expectSameRecords,
  messages,
  parseCsvText,
  parseJsonlText,
  pipelineFolder,
  removeDir,
  type JsonDoc,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

let root: string;
let full: Rec[];
let fullLines: string[];

beforeAll(async () => {
  root = (await pipelineFolder('resume', { otherWeights: true })).root;
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '-o', 'full.jsonl']);
  expect(run.code).toBe(0);
  const text = readFileSync(path.join(root, 'full.jsonl'), 'utf8');
  fullLines = text.split('\n').filter((l) => l !== '');
  full = parseJsonlText(text);
  expect(full).toHaveLength(12);
});
afterAll(() => removeDir(root));

function read(file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

/** A partial run: the first `k` lines of the full run, with a marker in the first record's fm. */
async function partial(file: string, k: number, tail = ''): Promise<void> {
  const lines = fullLines.slice(0, k).map((line, i) => (i === 0 ? line.replace(/"fm":[^,]+,/, '"fm":12345,') : line));
  await writeFile(path.join(root, file), `${lines.join('\n')}\n${tail}`);
}

function resume(file: string, extra: readonly string[] = []) {
  return cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-o', file, '--resume', file, ...extra]);
}

test('from the first 5 of 12 records: 7 pairs scored, the 5 carried as they are, one record per pair', async () => {
  await partial('run.jsonl', 5);
  const run = await resume('run.jsonl');
  expect(run.code).toBe(0);
  expect(messages(run.stderr)[0]).toBe('tts-critic: resuming: 5 pairs already scored in run.jsonl, 7 to go');
  // The summary covers the whole run, carried records included.
  expect(run.stderr).toContain('tts-critic: 12 files: 12 ok, 0 error, 0 unpaired');
  const records = parseJsonlText(read('run.jsonl'));
  expect(records).toHaveLength(12);
  // The marked record was carried, not scored again...
  expect(records[0]!.fm).toBe(12345);
  // ...and everything else is what a full run gives.
  expectSameRecords(records.slice(1), full.slice(1));
  expect(records.map((r) => r.syn).sort()).toEqual(full.map((r) => r.syn as string).sort());
});

test('a cut-short last line (a killed writer) is dropped and that pair scored again', async () => {
  await partial('cut.jsonl', 5, fullLines[5]!.slice(0, 120));
  const run = await resume('cut.jsonl', ['-q']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const text = read('cut.jsonl');
  expect(text.endsWith('\n')).toBe(true);
  const records = parseJsonlText(text);
  expect(records).toHaveLength(12);
  expectSameRecords(records.slice(1), full.slice(1));

  const loud = await partial('cut2.jsonl', 5, fullLines[5]!.slice(0, 120)).then(() => resume('cut2.jsonl'));
  expect(messages(loud.stderr)[0]).toBe('tts-critic: resuming: 5 pairs already scored in cut2.jsonl, 7 to go');
});

test('NUL bytes after the last record (a file cut by a crash) are dropped like a cut line', async () => {
  await partial('crashed.jsonl', 5, '\u0000'.repeat(64));
  const run = await resume('crashed.jsonl');
  expect(run.code).toBe(0);
  expect(messages(run.stderr)[0]).toBe('tts-critic: resuming: 5 pairs already scored in crashed.jsonl, 7 to go');
  const records = parseJsonlText(read('crashed.jsonl'));
  expect(records).toHaveLength(12);
  expectSameRecords(records.slice(1), full.slice(1));
});

test('error rows of the partial run are scored again', async () => {
  const failed = JSON.stringify({ ...full[1], status: 'error', error: 'syn/spk1/u01.wav: something went wrong', fm: null });
  await writeFile(path.join(root, 'with-error.jsonl'), `${fullLines[0]}\n${failed}\n`);
  const run = await resume('with-error.jsonl');
  expect(run.code).toBe(0);
  expect(messages(run.stderr)[0]).toBe('tts-critic: resuming: 1 pairs already scored in with-error.jsonl, 11 to go');
  const records = parseJsonlText(read('with-error.jsonl'));
  expectSameRecords(records, full);
});

test('a --resume file that does not exist yet: a fresh run', async () => {
  const run = await resume('new.jsonl');
  expect(run.code).toBe(0);
  expect(run.stderr).not.toContain('resuming');
  expectSameRecords(parseJsonlText(read('new.jsonl')), full);
});

test('everything already scored: nothing to score, the output holds every record', async () => {
  await writeFile(path.join(root, 'done.jsonl'), `${fullLines.join('\n')}\n`);
  const run = await resume('done.jsonl');
  expect(run.code).toBe(0);
  expect(messages(run.stderr)[0]).toBe('tts-critic: resuming: 12 pairs already scored in done.jsonl, 0 to go');
  expectSameRecords(parseJsonlText(read('done.jsonl')), full);
});

test('resuming into another output and format (CSV, JSON with its summary)', async () => {
  await partial('part.jsonl', 4);
  const csv = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--resume', 'part.jsonl', '-o', 'out.csv']);
  expect(csv.code).toBe(0);
  const rows = parseCsvText(read('out.csv'));
  expect(rows).toHaveLength(12);
  expect(rows[0]!.fm).toBe(12345);
  expectSameRecords(rows.slice(1), full.slice(1));
  // The partial file itself is left as it was.
  expect(parseJsonlText(read('part.jsonl'))).toHaveLength(4);

  const json = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--resume', 'part.jsonl', '--format', 'json']);
  expect(json.code).toBe(0);
  const doc = JSON.parse(json.stdout) as JsonDoc;
  expect(doc.files).toHaveLength(12);
  expect(doc.summary.files).toBe(12);
  expect(doc.summary.ok).toBe(12);
});

test('with --shard: only the shard\'s pairs are carried, records of other shards are left out', async () => {
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--shard', '2/3', '--resume', 'full.jsonl', '--format', 'jsonl']);
  expect(run.code).toBe(0);
  const records = parseJsonlText(run.stdout);
  const shard = parseJsonlText((await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--shard', '2/3', '--format', 'jsonl'])).stdout);
  expectSameRecords(records, shard);
  expect(messages(run.stderr)).toContain(
    `tts-critic: resuming: ${shard.length} pairs already scored in full.jsonl, 0 to go; ignored ${12 - shard.length} records of pairs that are not part of this run`,
  );
});

test('records of pairs that are no longer in the corpus are not carried', async () => {
  const stranger = JSON.stringify({ ...full[0], ref: 'ref/gone.wav', syn: 'syn/gone.wav' });
  await writeFile(path.join(root, 'stranger.jsonl'), `${stranger}\n${fullLines[1]}\n`);
  const run = await resume('stranger.jsonl');
  expect(run.code).toBe(0);
  expect(messages(run.stderr)[0]).toBe(
    'tts-critic: resuming: 1 pairs already scored in stranger.jsonl, 11 to go; ignored 1 records of pairs that are not part of this run',
  );
  const records = parseJsonlText(read('stranger.jsonl'));
  expect(records.map((r) => r.syn)).not.toContain('syn/gone.wav');
  expectSameRecords(records, full);
});

test('a partial run scored with another model is refused before scoring (exit 2), the file untouched', async () => {
  await partial('mine.jsonl', 5);
  const before = read('mine.jsonl');
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D-other.pth', '-o', 'mine.jsonl', '--resume', 'mine.jsonl']);
  expect(run.code).toBe(2);
  expect(messages(run.stderr)).toEqual([
    'tts-critic: resuming: 5 pairs already scored in mine.jsonl, 7 to go',
    expect.stringMatching(
      /^tts-critic: error: cannot resume from mine\.jsonl: mine\.jsonl was scored with gpt-sovits with sha256:[0-9a-f]{64}, this run with gpt-sovits with sha256:[0-9a-f]{64}; use the same model, or write to a fresh output without --resume$/,
    ),
  ]);
  expect(run.stdout).toBe('');
  expect(read('mine.jsonl')).toBe(before);
});

test('--resume of something that is not a report, or an empty --resume, is a usage error', async () => {
  const binary = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--resume', 'D.pth']);
  expect(binary.code).toBe(2);
  expect(messages(binary.stderr)).toEqual(['tts-critic: error: D.pth is not a tts-critic report (CSV, JSON or JSONL): it holds binary data']);

  const empty = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-o', 'x.jsonl', '--resume', '']);
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain("option '--resume <file>' argument '' is invalid");
  expect(existsSync(path.join(root, 'x.jsonl'))).toBe(false);
});
