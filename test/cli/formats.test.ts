/**
 * Scoring FLAC, MP3, Ogg Vorbis and Ogg Opus files through the CLI (in-process, one run over
 * one folder pair): FLAC scores equal WAV scores exactly, the lossy codecs at high bitrate stay
 * within the tolerance README documents, files pair across formats, rows record each file's
 * format and rate, damaged files cost one error row each while the rest is scored, and two
 * files of one name on one side each get an error row.
 *
 * README's tolerances were measured with bench/formats.mjs on the full-size untrained families;
 * the tiny checkpoint used here moves by about as much (TTS_CRITIC_E2E_VERBOSE=1 prints it).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENCODINGS, EXTENSION, FORMAT, encode, encodersAvailable, writeSpeechWav, type Encoding } from '../helpers/encoders.js';
import { runMain } from '../helpers/cli.js';
import { parseJsonl, removeDir, stackLines, tempDir, writeTinyCheckpoint, type Rec } from '../helpers/e2e.js';
import { METRIC_COLUMNS } from '../helpers/pipeline-fixtures.js';

/** README "Input formats": MP3 320 kbit/s, Vorbis q8, Opus 160 kbit/s; fm relative, mel_l1 absolute. */
const TOLERANCE: Record<Exclude<Encoding, 'flac'>, { fm: number; melL1: number }> = {
  mp3: { fm: 0.001, melL1: 0.001 },
  vorbis: { fm: 0.01, melL1: 0.02 },
  opus: { fm: 0.05, melL1: 0.02 },
};
const PAIRS = [
  { name: 'a', seconds: 1.5, seed: 11 },
  { name: 'b', seconds: 1.1, seed: 12 },
];
const RATE = 44100;
/** How each pair is stored on each side, as `<group>-<pair>.<ext>`. */
const GROUPS: [string, Encoding | 'wav', Encoding | 'wav'][] = [
  ['wav', 'wav', 'wav'],
  ['flac', 'flac', 'flac'],
  ['refflac', 'flac', 'wav'],
  ['mp3', 'wav', 'mp3'],
  ['vorbis', 'wav', 'vorbis'],
  ['opus', 'wav', 'opus'],
];

const ready = encodersAvailable();
const suite = ready ? describe : describe.skip;
let dir: string;
let rows: Map<string, Rec>;
let exitCode: number | null;
const expectedErrors = new Map<string, RegExp>();

const ext = (format: Encoding | 'wav') => (format === 'wav' ? 'wav' : EXTENSION[format]);
const synPath = (group: string, pair: string, format: Encoding | 'wav') => path.join('syn', `${group}-${pair}.${ext(format)}`);

beforeAll(async () => {
  if (!ready) return;
  dir = tempDir('formats');
  await writeTinyCheckpoint(path.join(dir, 'tiny.pth'));
  const source = (side: string, pair: string) => path.join(dir, 'sources', `${side}-${pair}.wav`);
  for (const p of PAIRS) {
    for (const [side, variant] of [['ref', 0], ['syn', 1]] as const) {
      const wav = source(side, p.name);
      writeSpeechWav(wav, { seconds: p.seconds, sampleRate: RATE, channels: 1, seed: p.seed, variant });
      for (const e of ENCODINGS) encode(e, wav, `${wav}.${EXTENSION[e]}`);
    }
  }
  const place = (side: 'ref' | 'syn', group: string, pair: string, format: Encoding | 'wav') => {
    mkdirSync(path.join(dir, side), { recursive: true });
    const from = format === 'wav' ? source(side, pair) : `${source(side, pair)}.${ext(format)}`;
    copyFileSync(from, path.join(dir, side, `${group}-${pair}.${ext(format)}`));
  };
  for (const [group, refFormat, synFormat] of GROUPS) {
    for (const p of PAIRS) {
      place('ref', group, p.name, refFormat);
      place('syn', group, p.name, synFormat);
    }
  }
  // Damaged, cut and empty files of each format (references: WAV).
  for (const e of ENCODINGS) {
    const bytes = readFileSync(`${source('syn', 'a')}.${EXTENSION[e]}`);
    const damaged = Buffer.from(bytes);
    for (let i = Math.floor(bytes.length * 0.6); i < Math.floor(bytes.length * 0.6) + 40; i++) damaged[i] = damaged[i]! ^ 0x5a;
    const variants: [string, Buffer, RegExp | null][] = [
      ['empty', Buffer.alloc(0), /: empty file \(0 bytes\)$/],
      ['header', bytes.subarray(0, 30), /: (header cut short|no MPEG audio frames)/],
      // MP3 has no checksums and skips what it cannot parse: a damaged stretch decodes (to noise).
      ['damaged', damaged, e === 'mp3' ? null : /: damaged (FLAC frame|Ogg page) at /],
    ];
    for (const [kind, content, message] of variants) {
      const group = `${kind}${e}`;
      place('ref', group, 'a', 'wav');
      writeFileSync(path.join(dir, synPath(group, 'a', e)), content);
      if (message) expectedErrors.set(synPath(group, 'a', e), message);
    }
  }
  // One name, two files on the synthesized side.
  place('ref', 'twice', 'a', 'wav');
  place('syn', 'twice', 'a', 'wav');
  place('syn', 'twice', 'a', 'flac');
  const run = await runMain(['score', 'ref', 'syn', '-w', 'tiny.pth', '--format', 'jsonl', '-q'], { cwd: dir });
  expect(stackLines(run.stderr)).toEqual([]);
  exitCode = run.code;
  rows = new Map(parseJsonl(run.stdout).map((r) => [String(r.syn), r]));
}, 120_000);

afterAll(() => removeDir(dir));

suite('scoring compressed files', () => {
  const metric = (r: Rec | undefined, column: string) => r?.[column] as number;
  const wavRow = (pair: string) => rows.get(synPath('wav', pair, 'wav'))!;

  it('FLAC on either side scores exactly like the WAV it was made from; rows record format and rate', () => {
    for (const [group, refFormat, synFormat] of GROUPS.filter(([g]) => g.includes('flac'))) {
      for (const p of PAIRS) {
        const got = rows.get(synPath(group, p.name, synFormat))!;
        expect(got).toMatchObject({ status: 'ok', ref_format: refFormat, syn_format: synFormat, ref_sample_rate: RATE, syn_sample_rate: RATE });
        for (const column of [...METRIC_COLUMNS, 'ref_seconds', 'syn_seconds', 'windows']) {
          expect([group, column, got[column]]).toEqual([group, column, wavRow(p.name)[column]]);
        }
      }
    }
    expect(wavRow('a')).toMatchObject({ ref_format: 'wav', syn_format: 'wav', ref_sample_rate: RATE, syn_sample_rate: RATE, sample_rate: 32000 });
  });

  it.each(['mp3', 'vorbis', 'opus'] as const)('%s at high bitrate scores within the documented tolerance of WAV', (e) => {
    for (const p of PAIRS) {
      const got = rows.get(synPath(e, p.name, e));
      const want = wavRow(p.name);
      expect(got).toMatchObject({ status: 'ok', syn_format: FORMAT[e], syn_sample_rate: e === 'opus' ? 48000 : RATE, syn_seconds: want.syn_seconds });
      const fm = Math.abs(metric(got, 'fm') - metric(want, 'fm')) / metric(want, 'fm');
      const melL1 = Math.abs(metric(got, 'mel_l1') - metric(want, 'mel_l1'));
      if (process.env.TTS_CRITIC_E2E_VERBOSE) console.info(`${e} ${p.name}: |Δfm|/fm ${fm.toExponential(2)}, |Δmel_l1| ${melL1.toExponential(2)}`);
      expect(fm).toBeLessThan(TOLERANCE[e].fm);
      expect(melL1).toBeLessThan(TOLERANCE[e].melL1);
      // The codec did change the audio: the comparison above can fail.
      expect(metric(got, 'mel_l1')).not.toBe(metric(want, 'mel_l1'));
    }
  });

  it('damaged, cut and empty files of each format get one error row each, naming the file; the rest is scored', () => {
    expect(exitCode).toBe(3);
    for (const [file, message] of expectedErrors) {
      const row = rows.get(file);
      expect([file, row?.status]).toEqual([file, 'error']);
      expect([file, row?.error]).toEqual([file, expect.stringMatching(new RegExp(`^${file.replace(/[.]/g, '\\.')}: `))]);
      expect([file, row?.error]).toEqual([file, expect.stringMatching(message)]);
    }
    const others = [...rows.entries()].filter(([file]) => !expectedErrors.has(file) && !file.includes('twice'));
    expect(others.length).toBe(GROUPS.length * PAIRS.length + 1); // the damaged MP3 decodes
    for (const [file, row] of others) expect([file, row.status, row.error]).toEqual([file, 'ok', '']);
  });

  it('two files of one name on one side: both get an error row naming both', () => {
    const message = `several files share the name "twice-a": ${path.join('syn', 'twice-a.flac')}, ${path.join('syn', 'twice-a.wav')}; keep one`;
    expect(rows.get(path.join('syn', 'twice-a.flac'))).toMatchObject({ status: 'error', error: message });
    expect(rows.get(path.join('syn', 'twice-a.wav'))).toMatchObject({ status: 'error', error: message });
  });
});
