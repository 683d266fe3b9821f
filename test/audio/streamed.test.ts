/**
 * The block cache over a compressed stream (src/audio/streamed.ts), with a synthetic codec
 * whose samples say which decoded position they come from and, for a codec without exact
 * restarts, where its decode started: reads in any order give what one forward read gives,
 * a forward read is one decode, memory stays at the cache's size, and a stream that ends
 * before its declared length is an InputFileError.
 */
import { InputFileError } from '../../src/errors.js';
import { BLOCK, CACHE_BLOCKS, RESTART_SEGMENT, StreamedAudio, type CodecStream, type DecodeSession } from '../../src/audio/streamed.js';

/** Decoded samples per chunk, and the restart granularity. */
const UNIT = 1000;
const PREROLL = 2500;

class FakeStream implements CodecStream {
  readonly starts: number[] = [];
  readonly info;

  constructor(
    readonly exactRestarts: boolean,
    frames: number,
    readonly delay: number,
    /** Decoded samples the stream really holds (default: all it declares). */
    private readonly available = frames + delay,
  ) {
    this.info = { format: 'flac' as const, codec: 'fake', sampleRate: 16000, channels: 1, frames, warnings: [] };
  }

  /** Sample value at decoded position d of a decode that started at `start`. */
  static value(d: number, start: number, exact: boolean): number {
    return (d % 8192) + (exact ? 0 : ((start / UNIT) % 64) / 128);
  }

  async session(position: number): Promise<DecodeSession> {
    const start = Math.max(0, Math.floor((position - (this.exactRestarts ? 0 : PREROLL)) / UNIT) * UNIT);
    this.starts.push(start);
    let pos = start;
    const { available, exactRestarts } = this;
    return {
      get position() {
        return pos;
      },
      async next() {
        if (pos >= available) return null;
        const samples = new Float32Array(Math.min(UNIT, available - pos));
        for (let i = 0; i < samples.length; i++) samples[i] = FakeStream.value(pos + i, start, exactRestarts);
        const chunk = { position: pos, samples };
        pos += samples.length;
        return chunk;
      },
      close() {},
    };
  }

  async close(): Promise<void> {}
}

/** Frame starts of `count` reads of `length` in an order that jumps around (deterministic). */
function scattered(frames: number, length: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => Math.floor(((k * 7919) % 1009) / 1009 * (frames - length)));
}

describe('StreamedAudio', () => {
  const frames = 40 * BLOCK + 1234;
  const delay = 1105;

  it.each([true, false])('exact restarts %s: reads in any order equal one forward read', async (exact) => {
    const forward = new StreamedAudio(new FakeStream(exact, frames, delay));
    const all = await forward.readFrames(0, frames);
    if (exact) for (const s of [0, 1, BLOCK, frames - 1]) expect(all[s]).toBe(FakeStream.value(s + delay, 0, true));
    const stream = new FakeStream(exact, frames, delay);
    const random = new StreamedAudio(stream);
    for (const start of scattered(frames, 30_000, 60)) {
      const got = await random.readFrames(start, 30_000);
      const want = all.subarray(start, start + 30_000);
      let same = true;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) same = false;
      expect([start, same]).toEqual([start, true]);
    }
    if (!exact) {
      // Every decode of a segment starts from the same restart point, the segment's own.
      const segmentStarts = new Set(Array.from({ length: Math.ceil(frames / (RESTART_SEGMENT * BLOCK)) }, (_, j) => Math.max(0, Math.floor((j * RESTART_SEGMENT * BLOCK + delay - PREROLL) / UNIT) * UNIT)));
      for (const s of stream.starts) expect(segmentStarts.has(s)).toBe(true);
    }
    expect(random.cachedBlocks).toBeLessThanOrEqual(CACHE_BLOCKS);
    await forward.close();
    await random.close();
  });

  it('a forward read in windows is one decode, and memory stays at the cache size', async () => {
    const stream = new FakeStream(true, frames, delay);
    const audio = new StreamedAudio(stream);
    // Windows of 2 s at 16 kHz, each read twice as the pipeline does (model rate, then mel).
    for (let start = 0; start < frames; start += 32_000) {
      const n = Math.min(32_000, frames - start);
      await audio.readFrames(start, n);
      await audio.readFrames(Math.max(0, start - 500), Math.min(n + 500, frames - Math.max(0, start - 500)));
    }
    expect(stream.starts).toEqual([Math.floor(delay / UNIT) * UNIT]);
    expect(audio.stats.blocks).toBe(Math.ceil(frames / BLOCK));
    expect(audio.cachedBlocks).toBe(CACHE_BLOCKS);
  });

  it('a jump far ahead starts a new decode instead of decoding the gap', async () => {
    const stream = new FakeStream(true, frames, delay);
    const audio = new StreamedAudio(stream);
    await audio.readFrames(0, 10);
    await audio.readFrames(30 * BLOCK, 10);
    expect(stream.starts.length).toBe(2);
    expect(audio.stats.blocks).toBeLessThan(4);
  });

  it('a stream that ends before the length it declared is an InputFileError, where it ends', async () => {
    const audio = new StreamedAudio(new FakeStream(true, frames, delay, 10 * BLOCK));
    await expect(audio.readFrames(0, 5 * BLOCK)).resolves.toHaveLength(5 * BLOCK);
    await expect(audio.readFrames(frames - 100, 100)).rejects.toThrow(InputFileError);
    await expect(audio.readFrames(8 * BLOCK, 4 * BLOCK)).rejects.toThrow(/^the audio stops at 40\.89 s, before the 163\.92 s the file declares \(damaged or cut short\)$/);
    await expect(audio.readFrames(frames - 5, 10)).rejects.toThrow(RangeError);
  });
});
