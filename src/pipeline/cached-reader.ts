/**
 * A pair's files are read several times at the same rate: the offset search and mel_dtw pass
 * over the whole files, then the windows. For a short file (most utterances) decoding and
 * resampling it once and serving every later read from memory is much cheaper than resampling
 * each read again; a long one keeps streaming, so memory stays bounded.
 *
 * The values are the same either way: the resampler computes each output sample from a fixed
 * set of input samples, whatever the range read (src/audio/resample.ts).
 */
import type { AudioReader } from '../audio/index.js';

/** Files up to this long are held whole, per rate read (at 32 kHz: 7.7 MB of float32). */
export const CACHE_SECONDS = 60;
/**
 * ... and of at most this many frames at their own rate: resampling costs per input frame, so a
 * 60-second file that declares 1.5 MHz would cost 25 times a 60-second file at 48 kHz to hold
 * whole, when the comparison may need only a second of it.
 */
export const CACHE_FRAMES = CACHE_SECONDS * 48_000;

export function cachingReader(reader: AudioReader, maxSeconds = CACHE_SECONDS): AudioReader {
  const whole = new Map<number, Promise<Float32Array>>();
  return {
    get info() {
      return reader.info;
    },
    lengthAt: (rate) => reader.lengthAt(rate),
    async read(rate, start, length) {
      const total = reader.lengthAt(rate);
      const inside = Number.isInteger(start) && Number.isInteger(length) && start >= 0 && length >= 0 && start + length <= total;
      // Long files stream; a bad range gets the reader's own RangeError.
      if (total > maxSeconds * rate || reader.info.frames > (maxSeconds / CACHE_SECONDS) * CACHE_FRAMES || !inside) return reader.read(rate, start, length);
      let samples = whole.get(rate);
      if (!samples) {
        samples = reader.read(rate, 0, total);
        whole.set(rate, samples);
        // A failed read is not kept: the next caller gets the reader's own error again.
        samples.catch(() => whole.delete(rate));
      }
      // A copy: callers may keep windows (queued for the engine) or modify them.
      return (await samples).slice(start, start + length);
    },
    close: () => {
      whole.clear();
      return reader.close();
    },
  };
}
