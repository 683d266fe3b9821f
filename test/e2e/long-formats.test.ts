/**
 * Long compressed files in bounded memory: 30-minute FLAC, MP3, Ogg Vorbis and Ogg Opus files
 * (44.1 kHz mono; 318 MB each as float32 if decoded whole, Opus 346 MB at 48 kHz) scored by the
 * real CLI peak within the WAV long-file budget (test/e2e/long-file.test.ts: 96 MB) of the
 * same pairs 10 seconds long. Two pairs cover the four formats: FLAC reference with MP3
 * synthesized, Vorbis reference with Opus synthesized.
 *
 * Peak RSS is the child's own peak RSS (VmHWM, see bench/peak-rss.cjs), written at exit by a preload.
 *
 * Behind TTS_CRITIC_LONG_FORMATS=1: encoding 30 minutes four ways and decoding and scoring it
 * takes a few minutes on two cores, too long for the normal suite. Needs `npm run build`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { removeDir, tempDir, writeTinyCheckpoint } from '../helpers/e2e.js';
import { encodersAvailable, speechSamples } from '../helpers/encoders.js';
import { scoreWithProbe as scoreWithRssProbe, writeCycledWav } from '../helpers/long-pair.js';

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
  await writeCycledWav(file, RATE, seconds, distinct);
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

const scoreWithProbe = (folder: string) => scoreWithRssProbe(dir, folder, { timeoutMs: 900_000 });

beforeAll(async () => {
  if (!enabled) return;
  dir = tempDir('long-formats');
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
