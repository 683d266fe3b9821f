/**
 * Long files in bounded memory: a 30-minute pair (16-bit mono, 32 kHz: 115 MB per file on disk,
 * 230 MB per file as float32) scored by the real CLI with the default 2 s window costs about
 * the same peak RSS as a 10-second pair.
 *
 * Peak RSS is the CLI's processes' own peak RSS (VmHWM, see bench/peak-rss.cjs), written at exit by
 * the benchmarks' preload (`node -r bench/peak-rss.cjs bin/tts-critic.js ...`, see
 * test/helpers/long-pair.ts), so it covers the whole run and nothing is sampled.
 *
 * Budget: peak(30 min) <= peak(10 s) + 96 MB. Holding either file whole, even as raw int16,
 * would add 115 MB (as float32: 230 MB per file), so passing proves the audio is streamed.
 * Measured on the 2-core dev box: ~135 MB for 10 s, ~170 MB for 30 min (the difference is
 * the JS heap settling, it does not grow with length: ~165 MB at 5 min already).
 *
 * The files are written in one-second chunks cycled from a few precomputed seconds of audio,
 * so the test itself never holds them either. The run's cost is the audio work a pair needs
 * whatever the model (decoding, the mel of mel_l1, 900 windows), so the checkpoint is the
 * smallest gpt-sovits (widths divided by 64) and the engine gets one thread (a second one only
 * spins while the other test worker holds the other core): 16 s of CPU for the file on the
 * shared 2-core machine, where widths divided by 16 on two threads took 46 s.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { removeDir, tempDir, writeTinyCheckpoint, type Rec } from '../helpers/e2e.js';
import { scoreWithProbe as scoreWithRssProbe, writeCycledWav } from '../helpers/long-pair.js';
import { testSignal } from '../helpers/wav-corpus.js';

const RATE = 32000;
const LONG_SECONDS = 30 * 60;
const SHORT_SECONDS = 10;
const BUDGET_MB = 96;

let dir: string;

/** A 16-bit mono WAV of `seconds`, written one second at a time from `distinct` precomputed seconds. */
async function writeStreamedWav(file: string, seconds: number, seed: number, distinct = 7): Promise<void> {
  const chunks = Array.from({ length: distinct }, (_, k) => {
    const samples = testSignal(RATE, 1, 16, seed * 100 + k);
    const b = Buffer.alloc(2 * RATE);
    for (let i = 0; i < RATE; i++) b.writeInt16LE(samples[i]!, 2 * i);
    return b;
  });
  await writeCycledWav(file, RATE, seconds, chunks);
}

/** Scores ref/ vs syn/ under `folder` with the probe; returns the record and the peak RSS in MB. */
async function scoreWithProbe(folder: string): Promise<{ record: Rec; peakMb: number; seconds: number }> {
  const run = await scoreWithRssProbe(dir, folder, { args: ['--threads', '1'], timeoutMs: 240_000 });
  expect(run.peakMb).toBeGreaterThan(0);
  return run;
}

beforeAll(async () => {
  dir = tempDir('long');
  await writeTinyCheckpoint(path.join(dir, 'tiny.pth'), { divisor: 64 });
  for (const [folder, seconds] of [['short', SHORT_SECONDS], ['long', LONG_SECONDS]] as const) {
    for (const [side, seed] of [['ref', 1], ['syn', 2]] as const) {
      mkdirSync(path.join(dir, folder, side), { recursive: true });
      await writeStreamedWav(path.join(dir, folder, side, 'talk.wav'), seconds, seed);
    }
  }
}, 120_000);

afterAll(() => removeDir(dir));

test(`a ${LONG_SECONDS / 60}-minute pair peaks within ${BUDGET_MB} MB of a ${SHORT_SECONDS}-second pair`, async () => {
  const short = await scoreWithProbe('short');
  const long = await scoreWithProbe('long');

  expect(short.record).toMatchObject({ status: 'ok', ref_seconds: SHORT_SECONDS, syn_seconds: SHORT_SECONDS, windows: SHORT_SECONDS / 2 });
  expect(long.record).toMatchObject({ status: 'ok', ref_seconds: LONG_SECONDS, syn_seconds: LONG_SECONDS, windows: LONG_SECONDS / 2 });
  for (const column of ['fm', 'gen', 'disc', 'mel_l1']) expect(Number.isFinite(long.record[column])).toBe(true);

  if (process.env.TTS_CRITIC_E2E_VERBOSE) {
    console.info(`peak RSS: ${SHORT_SECONDS} s pair ${short.peakMb.toFixed(1)} MB (${short.seconds.toFixed(1)} s), ${LONG_SECONDS / 60} min pair ${long.peakMb.toFixed(1)} MB (${long.seconds.toFixed(1)} s)`);
  }
  expect(long.peakMb).toBeLessThan(short.peakMb + BUDGET_MB);
}, 300_000);
