/**
 * Scoring folders made by the test, through the CLI (in-process, `main()`): pairing (nested
 * folders, extension case, unpaired files on both sides), decoding (corrupt, stereo 44.1 kHz,
 * 24-bit, 32-bit integer), trimming of unequal pairs, every output format on stdout and through
 * `-o` (atomic, nothing left behind), the output contract (columns in order, one record per
 * pair, statuses, messages, finite numbers, family/weights, the JSON model block) and exit
 * codes. Also the untrained default's JSON model block. (The README's main job, exactly as
 * written, runs as a real process in test/e2e/folders.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runMain, type CliRun } from '../helpers/cli.js';
import { finite, parseCsv, parseJsonl, removeDir, stackLines, tempDir, tempFilesIn, writeTinyCheckpoint, writeTone, type Rec } from '../helpers/e2e.js';
import { writeFile } from 'node:fs/promises';

const SUBS = ['s', 'p2', 'p3', 'p5', 'p7', 'p11']; // gpt-sovits, in model order
const CONTRACT_COLUMNS = [
  'ref', 'syn', 'status', 'error', 'sample_rate', 'ref_seconds', 'syn_seconds',
  'ref_format', 'syn_format', 'ref_sample_rate', 'syn_sample_rate', 'windows',
  'fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw', 'offset_ms', 'warning',
  ...SUBS.flatMap((s) => [`fm_${s}`, `gen_${s}`, `real_${s}`, `fake_${s}`]),
  'family', 'weights',
];
// offset_ms is empty where --align offset finds no clear offset (these tones keep a steady level).
const METRICS = CONTRACT_COLUMNS.filter((c) => !['ref', 'syn', 'status', 'error', 'warning', 'offset_ms', 'ref_format', 'syn_format', 'family', 'weights'].includes(c));

interface Expected {
  ref: string;
  syn: string;
  status: 'ok' | 'error' | 'unpaired';
  error?: RegExp;
  refSeconds?: number;
  synSeconds?: number;
}

/** One row per pair, sorted by key (the pairing order). */
const EXPECTED: Expected[] = [
  { ref: 'ref/a.wav', syn: 'syn/a.wav', status: 'ok', refSeconds: 0.5, synSeconds: 0.5 },
  { ref: 'ref/corrupt.wav', syn: 'syn/corrupt.wav', status: 'error', error: /^syn\/corrupt\.wav: not an audio file \(starts with "this"\); tts-critic reads WAV, FLAC, MP3, Ogg Vorbis and Ogg Opus$/ },
  { ref: 'ref/only-ref.wav', syn: '', status: 'unpaired', error: /^ref\/only-ref\.wav: no synthesized file with the same name$/ },
  { ref: '', syn: 'syn/only-syn.wav', status: 'unpaired', error: /^syn\/only-syn\.wav: no reference file with the same name$/ },
  { ref: 'ref/spk1/b.wav', syn: 'syn/spk1/b.wav', status: 'ok', refSeconds: 0.4, synSeconds: 0.4 },
  { ref: 'ref/spk1/deep/c.wav', syn: 'syn/spk1/deep/c.WAV', status: 'ok', refSeconds: 0.3, synSeconds: 0.3 },
  // Spaces, a comma, quotes and non-ASCII in a name: CSV quoting, JSON escaping.
  { ref: 'ref/spk1/héllo, "w".wav', syn: 'syn/spk1/héllo, "w".wav', status: 'ok', refSeconds: 0.3, synSeconds: 0.3 },
  { ref: 'ref/spk2/pcm24.wav', syn: 'syn/spk2/pcm24.wav', status: 'ok', refSeconds: 0.5, synSeconds: 0.5 },
  { ref: 'ref/spk2/pcm32.wav', syn: 'syn/spk2/pcm32.wav', status: 'ok', refSeconds: 0.5, synSeconds: 0.5 },
  { ref: 'ref/spk2/stereo44k.wav', syn: 'syn/spk2/stereo44k.wav', status: 'ok', refSeconds: 0.5, synSeconds: 0.5 },
  // Unequal lengths: trimmed to the shorter; both durations reported.
  { ref: 'ref/trim/long-ref.wav', syn: 'syn/trim/long-ref.wav', status: 'ok', refSeconds: 0.9, synSeconds: 0.5 },
  { ref: 'ref/trim/long-syn.wav', syn: 'syn/trim/long-syn.wav', status: 'ok', refSeconds: 0.5, synSeconds: 1.25 },
  { ref: 'ref/trim/same.wav', syn: 'syn/trim/same.wav', status: 'ok', refSeconds: 0.5, synSeconds: 0.5 },
];

let dir: string;
let checkpointSha: string;

beforeAll(async () => {
  dir = tempDir('folders');
  const at = (p: string) => path.join(dir, p);
  await writeTone(at('ref/a.wav'), { seconds: 0.5, seed: 1 });
  await writeTone(at('syn/a.wav'), { seconds: 0.5, seed: 2 });
  await writeTone(at('ref/corrupt.wav'), { seconds: 0.5, seed: 1 });
  await writeFile(at('syn/corrupt.wav'), 'this is a text file with a .wav name\n');
  await writeTone(at('ref/only-ref.wav'), { seconds: 0.5 });
  await writeTone(at('syn/only-syn.wav'), { seconds: 0.5 });
  await writeTone(at('ref/spk1/b.wav'), { seconds: 0.4, seed: 3 });
  await writeTone(at('syn/spk1/b.wav'), { seconds: 0.4, seed: 4 });
  await writeTone(at('ref/spk1/deep/c.wav'), { seconds: 0.3, seed: 5 });
  await writeTone(at('syn/spk1/deep/c.WAV'), { seconds: 0.3, seed: 6 });
  await writeTone(at('ref/spk1/héllo, "w".wav'), { seconds: 0.3, seed: 13 });
  await writeTone(at('syn/spk1/héllo, "w".wav'), { seconds: 0.3, seed: 14 });
  for (const name of ['pcm24', 'pcm32', 'stereo44k']) await writeTone(at(`ref/spk2/${name}.wav`), { seconds: 0.5, seed: 7 });
  await writeTone(at('syn/spk2/pcm24.wav'), { seconds: 0.5, format: 'pcm24', seed: 8 });
  await writeTone(at('syn/spk2/pcm32.wav'), { seconds: 0.5, format: 'pcm32', seed: 9 });
  await writeTone(at('syn/spk2/stereo44k.wav'), { seconds: 0.5, sampleRate: 44100, channels: 2, seed: 10 });
  // Trimming at the model rate (32 kHz, no resampling): a file's first 0.5 s are exactly the
  // 0.5 s file of the same seed, so a trimmed pair must score like the pair of equal files.
  await writeTone(at('ref/trim/long-ref.wav'), { seconds: 0.9, sampleRate: 32000, seed: 11 });
  await writeTone(at('syn/trim/long-ref.wav'), { seconds: 0.5, sampleRate: 32000, seed: 12 });
  await writeTone(at('ref/trim/long-syn.wav'), { seconds: 0.5, sampleRate: 32000, seed: 11 });
  await writeTone(at('syn/trim/long-syn.wav'), { seconds: 1.25, sampleRate: 32000, seed: 12 });
  await writeTone(at('ref/trim/same.wav'), { seconds: 0.5, sampleRate: 32000, seed: 11 });
  await writeTone(at('syn/trim/same.wav'), { seconds: 0.5, sampleRate: 32000, seed: 12 });
  // An all-good pair of folders.
  await writeTone(at('good-ref/x.wav'), { seconds: 0.4, seed: 1 });
  await writeTone(at('good-syn/x.wav'), { seconds: 0.4, seed: 2 });
  await writeTone(at('good-ref/y/z.wav'), { seconds: 0.3, seed: 3 });
  await writeTone(at('good-syn/y/z.wav'), { seconds: 0.3, seed: 4 });

  await writeTinyCheckpoint(at('tiny.pth'));
  checkpointSha = createHash('sha256').update(readFileSync(at('tiny.pth'))).digest('hex');
}, 120_000);

afterAll(() => removeDir(dir));

function score(args: string[]): Promise<CliRun> {
  return runMain(['score', ...args], { cwd: dir });
}

function expectCleanStderr(run: CliRun): void {
  expect(stackLines(run.stderr)).toEqual([]);
  expect(run.stderr).not.toMatch(/internal error/);
}

/** Checks records (any format, cells already typed) against EXPECTED. */
function checkRecords(records: Rec[], options: { emptyIs: null | '' }): void {
  expect(records.map((r) => [r.ref, r.syn, r.status])).toEqual(EXPECTED.map((e) => [e.ref, e.syn, e.status]));
  records.forEach((r, i) => {
    const e = EXPECTED[i]!;
    const what = `${e.ref || e.syn}`;
    expect(r.family).toBe('gpt-sovits');
    expect(r.weights).toBe(`sha256:${checkpointSha}`);
    expect(Number(r.sample_rate)).toBe(32000);
    if (e.status === 'ok') {
      expect(r.error).toBe('');
      for (const column of METRICS) finite(r[column], `${what} ${column}`);
      expect(Number(r.windows)).toBe(1);
      expect(Number(r.ref_seconds)).toBeCloseTo(e.refSeconds!, 6);
      expect(Number(r.syn_seconds)).toBeCloseTo(e.synSeconds!, 6);
      expect(Number(r.disc)).toBeCloseTo(Number(r.real) + Number(r.fake), 9);
    } else {
      expect(String(r.error)).toMatch(e.error!);
      for (const column of ['fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', ...SUBS.map((s) => `fm_${s}`)]) expect(r[column]).toBe(options.emptyIs);
    }
  });
}

describe('a folder pair with every kind of file', () => {
  let csvRun: CliRun;
  let csv: ReturnType<typeof parseCsv>;

  beforeAll(async () => {
    csvRun = await score(['ref', 'syn', '--weights', 'tiny.pth']);
    csv = parseCsv(csvRun.stdout);
  });

  test('CSV on stdout: contract columns in order, one row per pair, exit 3', () => {
    expectCleanStderr(csvRun);
    expect(csvRun.code).toBe(3);
    expect(csv.header).toEqual(CONTRACT_COLUMNS);
    checkRecords(csv.rows, { emptyIs: '' });
    // The summary on stderr says what happened.
    expect(csvRun.stderr).toMatch(/13 files: 10 ok, 1 error, 2 unpaired/);
    expect(csvRun.stderr).toMatch(/not scored \(3\):\n(\s+\w+\s+\S+: .+\n){3}/);
    expect(csvRun.stderr).toMatch(/ error\s+syn\/corrupt\.wav: not an audio file/);
    expect(csvRun.stderr).not.toMatch(/syn\/corrupt\.wav: syn\/corrupt\.wav/);
  });

  test('trimming: a pair trimmed to the shorter file scores like the pair of equal files', () => {
    const row = (syn: string) => csv.rows.find((r) => r.syn === syn)!;
    const same = row('syn/trim/same.wav');
    for (const trimmed of [row('syn/trim/long-ref.wav'), row('syn/trim/long-syn.wav')]) {
      for (const column of ['fm', 'gen', 'real', 'fake', 'mel_l1']) {
        expect(Number(trimmed[column])).toBeCloseTo(Number(same[column]), 5);
      }
    }
    // ... and differently seeded audio does not (the comparison above can fail).
    expect(Math.abs(Number(row('syn/a.wav').fm) - Number(same.fm))).toBeGreaterThan(1e-3);
  });

  test('-o out.jsonl: the same records, one JSON object per line, written atomically', async () => {
    const run = await score(['ref', 'syn', '--weights', 'tiny.pth', '-o', 'out.jsonl', '--quiet']);
    expectCleanStderr(run);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    const records = parseJsonl(readFileSync(path.join(dir, 'out.jsonl'), 'utf8'));
    checkRecords(records, { emptyIs: null });
    // Same numbers as the CSV run.
    for (const [i, r] of records.entries()) {
      for (const column of METRICS) {
        if (r[column] === null) expect(csv.rows[i]![column]).toBe('');
        else expect(Number(csv.rows[i]![column])).toBe(r[column]);
      }
      // JSON records also carry per-layer distances for every sub.
      if (r.status === 'ok') expect(Object.keys(r.fm_layers as object)).toEqual(SUBS);
    }
    expect(tempFilesIn(dir)).toEqual([]);
  });

  test('-o out.json: a document with the model block and a summary', async () => {
    const run = await score(['ref', 'syn', '--weights', 'tiny.pth', '-o', 'out.json']);
    expectCleanStderr(run);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    const doc = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as Rec & { files: Rec[]; model: Rec; summary: Rec };
    expect(Object.keys(doc)).toEqual(['tool', 'version', 'model', 'files', 'summary']);
    expect(doc.tool).toBe('tts-critic');
    expect(doc.model).toMatchObject({
      family: 'gpt-sovits',
      sample_rate: 32000,
      subs: SUBS,
      weights: 'checkpoint',
      seed: null,
      checkpoint: 'tiny.pth',
      sha256: checkpointSha,
      precision: 'float32',
      provider: 'cpu',
      adapter: null,
      segment_samples: 64000,
    });
    checkRecords(doc.files, { emptyIs: null });
    expect(Object.keys(doc.files[0]!).slice(0, CONTRACT_COLUMNS.length)).toEqual(CONTRACT_COLUMNS);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  test('--format jsonl on stdout and --segment: windows follow the segment rule', async () => {
    const run = await score(['ref', 'syn', '--weights', 'tiny.pth', '--format', 'jsonl', '--segment', '0.2', '-q']);
    expect(run.code).toBe(3);
    const records = parseJsonl(run.stdout);
    expect(records).toHaveLength(EXPECTED.length);
    for (const e of EXPECTED.filter((x) => x.status === 'ok')) {
      const r = records.find((x) => x.syn === e.syn)!;
      // Windows start at 0, L, 2L, ...; the last one is right-aligned: ceil(trimmed / L).
      const trimmed = Math.min(e.refSeconds!, e.synSeconds!);
      expect(r.windows).toBe(Math.ceil(trimmed / 0.2 - 1e-9));
    }
  });

  test('-o with an explicit --format overrides the extension', async () => {
    const run = await score(['ref', 'syn', '--weights', 'tiny.pth', '-o', 'report.txt', '--format', 'csv', '-q']);
    expect(run.code).toBe(3);
    const { header, rows } = parseCsv(readFileSync(path.join(dir, 'report.txt'), 'utf8'));
    expect(header).toEqual(CONTRACT_COLUMNS);
    expect(rows).toHaveLength(EXPECTED.length);
  });
});

test('all pairs good: exit 0, two ok rows', async () => {
  const run = await score(['good-ref', 'good-syn', '--weights', 'tiny.pth', '--format', 'jsonl']);
  expectCleanStderr(run);
  expect(run.code).toBe(0);
  const records = parseJsonl(run.stdout);
  expect(records.map((r) => [r.ref, r.syn, r.status])).toEqual([
    ['good-ref/x.wav', 'good-syn/x.wav', 'ok'],
    ['good-ref/y/z.wav', 'good-syn/y/z.wav', 'ok'],
  ]);
  expect(run.stderr).toMatch(/2 files: 2 ok, 0 error, 0 unpaired/);
});

test('-o replaces an existing report with the complete new one', async () => {
  const out = path.join(dir, 'replace.csv');
  await writeFile(out, 'old content\n');
  const run = await score(['good-ref', 'good-syn', '--weights', 'tiny.pth', '-o', 'replace.csv', '-q']);
  expect(run.code).toBe(0);
  expect(parseCsv(readFileSync(out, 'utf8')).rows).toHaveLength(2);
  expect(tempFilesIn(dir)).toEqual([]);
});

test('the untrained default: JSON model block with the seed, weights column untrained:seed=N', async () => {
  const run = await score(['good-ref', 'good-syn', '--family', 'gpt-sovits', '--seed', '3', '--format', 'json', '--segment', '0']);
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/no checkpoint given: using untrained gpt-sovits weights \(seed 3\)/);
  const doc = JSON.parse(run.stdout) as { model: Rec; files: Rec[] };
  expect(doc.model).toMatchObject({ family: 'gpt-sovits', weights: 'untrained', seed: 3, checkpoint: null, sha256: null, segment_samples: 0 });
  expect(doc.files.map((f) => f.weights)).toEqual(['untrained:seed=3', 'untrained:seed=3']);
  for (const f of doc.files) finite(f.fm, 'fm');
}, 120_000);
