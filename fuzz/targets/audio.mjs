/**
 * The audio contract shared by the per-format targets: openAudioBuffer gives a reader or an
 * InputFileError; a reader's facts are sane and bounded by the input's size (limits.ts); its
 * first and last samples at 16 kHz read as finite numbers or an InputFileError.
 */
import { openAudioBuffer } from '../../dist/audio/index.js';
import { MAX_FRAMES_PER_BYTE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../../dist/audio/limits.js';
import { InputFileError } from '../../dist/errors.js';
import { check, expectTyped, within } from './contract.mjs';

const RATE = 16000;
/** Samples read at each end: enough to decode a block and run the resampler's edges. */
const READ = 2000;

export async function fuzzAudio(bytes) {
  await within(bytes.length, async () => {
    let reader;
    try {
      reader = await openAudioBuffer(bytes);
    } catch (error) {
      expectTyped(error, InputFileError);
      return;
    }
    try {
      const { frames, sampleRate, channels } = reader.info;
      check(Number.isSafeInteger(frames) && frames >= 0, `frames ${frames}`);
      check(sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE, `sample rate ${sampleRate}`);
      check(Number.isInteger(channels) && channels >= 1 && channels <= 65535, `channels ${channels}`);
      check(frames <= MAX_FRAMES_PER_BYTE * bytes.length, `${frames} frames from ${bytes.length} bytes`);
      const n = reader.lengthAt(RATE);
      for (const start of [0, Math.max(0, n - READ)]) {
        const length = Math.min(READ, n - start);
        let samples;
        try {
          samples = await reader.read(RATE, start, length);
        } catch (error) {
          expectTyped(error, InputFileError);
          continue;
        }
        check(samples.length === length, `read ${samples.length} samples of ${length}`);
        for (const v of samples) check(Number.isFinite(v), `non-finite sample ${v}`);
      }
    } finally {
      await reader.close();
    }
  });
}

/** The input with `magic` in front unless it starts with it: keeps a target on its format. */
export function withMagic(data, magic) {
  const b = Buffer.from(data);
  return b.subarray(0, magic.length).equals(magic) ? b : Buffer.concat([magic, b]);
}
