/**
 * Work limits for files tts-critic did not make: a small file must not buy hours of CPU.
 *
 * - Sample rates outside [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE] are refused for every format (a
 *   header saying 1 Hz turns 33,000 samples into 9 declared hours).
 * - A file may hold at most MAX_FRAMES_PER_BYTE decoded frames per byte of file: real codecs at
 *   their lowest bit rates (Opus silence in 120 ms packets, FLAC constant subframes in 4096-sample
 *   blocks) stay well below it, while a "decompression bomb" (constant subframes in 65535-sample
 *   blocks, claiming minutes per kilobyte) does not.
 * - A file may decode to at most `maxDuration` seconds (`--max-duration`, DEFAULT_MAX_DURATION).
 */
import { InputFileError } from '../errors.js';

export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 1_536_000;
/** Decoded frames (samples per channel) per byte of file. */
export const MAX_FRAMES_PER_BYTE = 4096;
/** Default `--max-duration`, seconds (4 hours). */
export const DEFAULT_MAX_DURATION = 4 * 3600;

/** Throws unless `rate` (Hz) is a rate audio is recorded at; `what` names the header. */
export function checkSampleRate(rate: number, what: string): void {
  if (!Number.isFinite(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw new InputFileError(`${what} gives sample rate ${rate} Hz, outside ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz (corrupt header)`);
  }
}

export interface DecodeLimits {
  /** Most seconds of audio a file may decode to. */
  readonly maxDuration?: number;
}

function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(2)} h` : seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(1)} s`;
}

/** Throws when a file of `bytes` bytes decoding to `frames` frames at `rate` exceeds the limits. */
export function checkDecodeBudget(frames: number, rate: number, bytes: number, limits: DecodeLimits = {}): void {
  const maxDuration = limits.maxDuration ?? DEFAULT_MAX_DURATION;
  const seconds = frames / rate;
  if (seconds > maxDuration) {
    throw new InputFileError(`decodes to ${hours(seconds)} of audio, more than --max-duration (${hours(maxDuration)})`);
  }
  if (frames > MAX_FRAMES_PER_BYTE * Math.max(1, bytes)) {
    throw new InputFileError(
      `decodes to ${hours(seconds)} of audio from only ${bytes} bytes (${Math.round(frames / Math.max(1, bytes))} samples per byte, ` +
        `at most ${MAX_FRAMES_PER_BYTE} allowed): a decompression bomb or a damaged header`,
    );
  }
}
