/**
 * Long compressed files in bounded memory: 30-minute FLAC, MP3, Ogg Vorbis and Ogg Opus files
 * (44.1 kHz mono; 318 MB each as float32 if decoded whole, Opus 346 MB at 48 kHz) scored by the
 * real CLI peak within the WAV long-file budget (test/e2e/long-file.test.ts: 96 MB) of the
 * same pairs 10 seconds long. Two pairs cover the four formats: FLAC reference with MP3
 * synthesized, Vorbis reference with Opus synthesized.
 *
 * Peak RSS is the child's own `process.resourceUsage().maxRSS`, written at exit by a preload.
 *
 * Behind TTS_CRITIC_LONG_FORMATS=1: encoding 30 minutes four ways and decoding and scoring it
 * takes a few minutes on two cores, too long for the normal suite. Needs `npm run build`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, parseJsonl, removeDir, spawnCli, stackLines, tempDir, writeTinyCheckpoint, type Rec } from '../helpers/e2e.js';
import { encodersAvailable, speechSamples } from '../helpers/encoders.js';

const RATE = 44100;
const LONG_SECONDS = 30 * 60;
const SHORT_SECONDS = 10;
const BUDGET_MB = 96;
const PAIRS = [
  { name: 'flac-mp3', ref: 'flac', syn: 'mp3' },
  { name: 'vorbis-opus', ref: 'ogg', syn: 'opus' },
] as const;

const enabled = process.env.TTS_CRITIC_LONG_FORMATS === '1' && encodersAvailable();
const suite = enabled ? describe : describe.skip;
const run = promisify(execFile);
let dir: string;

/** A 16-bit mono WAV of `seconds`, written a second at a time from 7 distinct seconds of speech. */
async function writeLongSpeech(file: string, seconds: number, seed: number): Promise<void> {
  const distinct = Array.from({ length: 7 }, (_, k) => Buffer.from(speechSamples(1, RATE, 1, seed * 100 + k).buffer));
  const bytes = seconds * RATE * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(bytes, 40);
  const handle = await open(file, 'w');
  try {
    await handle.write(header);
    for (let s = 0; s < seconds; s++) await handle.write(distinct[(s * 3) % 7]!);
  } finally {
    await handle.close();
  }
}

/** Encodes `wav` to `<base>.<ext>` (moderate bitrates: the memory, not the quality, is measured). */
function encodeAs(ext: string, wav: string, out: string): Promise<unknown> {
  switch (ext) {
    case 'flac':
      return run('flac', ['--silent', '--force', '-0', '-o', out, wav]);
    case 'mp3':
      return run('lame', ['--quiet', '-b', '128', wav, out]);
    case 'ogg':
      return run('oggenc', ['--quiet', '-q', '4', '-o', out, wav]);
    default:
      return run('opusenc', ['--quiet', '--bitrate', '64', wav, out]);
  }
}

async function scoreWithProbe(folder: string): Promise<{ record: Rec; peakMb: number; seconds: number }> {
  const rssFile = path.join(dir, `${folder.replace(/\//g, '-')}.rss`);
  const started = Date.now();
  const cli = spawnCli(['score', path.join(folder, 'ref'), path.join(folder, 'syn'), '--weights', 'tiny.pth', '--format', 'jsonl', '-q'], {
    cwd: dir,
    command: [process.execPath, '-r', path.join(dir, 'probe.cjs'), CLI],
    env: { TTS_CRITIC_RSS_FILE: rssFile },
    timeoutMs: 900_000,
  });
  const { code } = await cli.exited;
  expect(stackLines(cli.stderr())).toEqual([]);
  expect(code).toBe(0);
  const records = parseJsonl(cli.stdout());
  expect(records).toHaveLength(1);
  return { record: records[0]!, peakMb: Number(readFileSync(rssFile, 'utf8')) / 1024, seconds: (Date.now() - started) / 1000 };
}

beforeAll(async () => {
  if (!enabled) return;
  dir = tempDir('long-formats');
  writeFileSync(
    path.join(dir, 'probe.cjs'),
    "process.on('exit', () => { const f = process.env.TTS_CRITIC_RSS_FILE; if (f) require('node:fs').writeFileSync(f, String(process.resourceUsage().maxRSS)); });\n",
  );
  await writeTinyCheckpoint(path.join(dir, 'tiny.pth'));
  for (const [length, seconds] of [['short', SHORT_SECONDS], ['long', LONG_SECONDS]] as const) {
    const jobs: Promise<unknown>[] = [];
    for (const [side, seed] of [['ref', 1], ['syn', 2]] as const) {
      const wav = path.join(dir, `${length}-${side}.wav`);
      await writeLongSpeech(wav, seconds, seed);
      for (const pair of PAIRS) {
        mkdirSync(path.join(dir, length, pair.name, side), { recursive: true });
        const ext = pair[side];
        jobs.push(encodeAs(ext, wav, path.join(dir, length, pair.name, side, `talk.${ext}`)));
      }
    }
    await Promise.all(jobs);
  }
}, 900_000);

afterAll(() => removeDir(dir));

suite('long compressed files', () => {
  it.each(PAIRS.map((p) => p.name))(`a ${LONG_SECONDS / 60}-minute %s pair peaks within ${BUDGET_MB} MB of a ${SHORT_SECONDS}-second one`, async (name) => {
    const short = await scoreWithProbe(path.join('short', name));
    const long = await scoreWithProbe(path.join('long', name));
    expect(short.record).toMatchObject({ status: 'ok', windows: SHORT_SECONDS / 2 });
    expect(long.record).toMatchObject({ status: 'ok', windows: LONG_SECONDS / 2 });
    for (const side of ['ref_seconds', 'syn_seconds']) expect(long.record[side]).toBeCloseTo(LONG_SECONDS, 2);
    for (const column of ['fm', 'gen', 'disc', 'mel_l1']) expect(Number.isFinite(long.record[column])).toBe(true);
    console.info(
      `${name}: peak RSS ${SHORT_SECONDS} s pair ${short.peakMb.toFixed(1)} MB (${short.seconds.toFixed(1)} s), ` +
        `${LONG_SECONDS / 60} min pair ${long.peakMb.toFixed(1)} MB (${long.seconds.toFixed(1)} s)`,
    );
    expect(long.peakMb).toBeLessThan(short.peakMb + BUDGET_MB);
  }, 1_200_000);
});
