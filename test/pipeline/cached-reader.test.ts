import { openAudioBuffer, type AudioReader } from '../../src/audio/index.js';
import { cachingReader } from '../../src/pipeline/cached-reader.js';
import { testSignal, writeWav } from '../helpers/wav-corpus.js';

/** A reader that counts the reads reaching it. */
function counting(reader: AudioReader): { reader: AudioReader; reads: () => number } {
  let reads = 0;
  return {
    reader: { ...reader, info: reader.info, lengthAt: (rate) => reader.lengthAt(rate), read: (...args) => (reads++, reader.read(...args)), close: () => reader.close() },
    reads: () => reads,
  };
}

test('short files: one read per rate, and every range the same as read directly (resampled too)', async () => {
  const bytes = writeWav({ format: 'pcm16', sampleRate: 22050, samples: testSignal(22050, 1, 16, 3) });
  const direct = await openAudioBuffer(bytes);
  const { reader, reads } = counting(await openAudioBuffer(bytes));
  const cached = cachingReader(reader);
  for (const rate of [32000, 22050]) {
    const total = cached.lengthAt(rate);
    for (const [start, length] of [
      [0, 100],
      [5000, 7777],
      [total - 3, 3],
      [0, total],
    ] as const) {
      expect(await cached.read(rate, start, length)).toEqual(await direct.read(rate, start, length));
    }
  }
  expect(reads()).toBe(2);
  // A copy each time: changing one read does not change the next.
  (await cached.read(32000, 0, 10)).fill(9);
  expect(await cached.read(32000, 0, 10)).toEqual(await direct.read(32000, 0, 10));
  await expect(cached.read(32000, -1, 5)).rejects.toThrow(RangeError);
  await expect(cached.read(32000, 0, cached.lengthAt(32000) + 1)).rejects.toThrow(RangeError);
  await cached.close();
  await direct.close();
});

test('long files keep streaming: reads go to the file', async () => {
  const bytes = writeWav({ format: 'pcm16', sampleRate: 16000, samples: testSignal(16000, 1, 16, 4) });
  const { reader, reads } = counting(await openAudioBuffer(bytes));
  const cached = cachingReader(reader, 0.5);
  await cached.read(16000, 0, 100);
  await cached.read(16000, 100, 100);
  expect(reads()).toBe(2);
  await cached.close();
});
