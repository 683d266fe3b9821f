/**
 * Random access to compressed audio in bounded memory. A codec decodes forward from restart
 * points (a FLAC frame, an MP3 frame, an Ogg page); this module turns that into mono frames
 * by index, in any order:
 *
 * - Decoded audio is kept in blocks of BLOCK frames in a small LRU cache (CACHE_BLOCKS blocks,
 *   6 MB), so memory does not depend on the file's length, and the pipeline's repeated reads of
 *   one stretch (model rate, then 32 kHz for the mel distance) decode it once.
 * - Forward reads continue the running decode; a backward read, or a jump far ahead, starts a
 *   new decode at the nearest restart point before it (the codec adds its own pre-roll).
 * - Codecs whose decoder state converges only approximately after a restart (Opus) would give
 *   samples that depend on where decoding started. For them a decode never crosses the edge of
 *   a segment of RESTART_SEGMENT blocks: every segment is always decoded from its own restart
 *   point, so each sample is a function of the file alone, whatever the order of the reads.
 *   FLAC, MP3 (restarting on the right frames, see mpeg.ts) and Vorbis restart bit-exactly.
 */
import { InputFileError } from '../errors.js';
import type { AudioInfo, FrameSource } from './types.js';
import type { PlanarAudio } from './wasm-decoders.js';
import { pause } from '../util/yield.js';

/** Frames per cached block (mono float32: 256 KB). */
export const BLOCK = 1 << 16;
/** Blocks kept: 6 MB, more than the span of the largest read the pipeline makes (a resampler step). */
export const CACHE_BLOCKS = 24;
/** For codecs without exact restarts, a decode serves one segment of this many blocks. */
export const RESTART_SEGMENT = 8;
/** Reading this far ahead of the running decode starts a new one instead of decoding the gap. */
const MAX_FORWARD_GAP = 8 * BLOCK;

/** Decoded mono samples at decoded positions [position, position + samples.length). */
export interface DecodedChunk {
  readonly position: number;
  readonly samples: Float32Array;
}

/** One forward decode from a restart point. */
export interface DecodeSession {
  /** Decoded position of the next sample `next()` returns. */
  readonly position: number;
  /** The next decoded samples, or null at the end of the stream. Throws InputFileError. */
  next(): Promise<DecodedChunk | null>;
  /** Frees the decoder. */
  close(): void;
}

/**
 * One decode of whole frames in a DecodeSession (FLAC, MPEG), checked: a decoder that throws,
 * reports an error, or gives other than `expected` samples (or, when `channels` is given, other
 * than that many channels) means damaged frames, reported as an InputFileError at `at`
 * (the time, for the message).
 */
export async function checkedDecode(
  codec: 'FLAC' | 'MPEG',
  at: string,
  expected: number,
  channels: number | null,
  decode: () => PlanarAudio | Promise<PlanarAudio>,
): Promise<PlanarAudio> {
  let decoded: PlanarAudio;
  try {
    decoded = await decode();
  } catch (error) {
    throw new InputFileError(`${codec} decoder failed at ${at}: ${(error as Error).message}`);
  }
  // mpg123's messages end with a newline.
  if (decoded.errors.length > 0) throw new InputFileError(`damaged ${codec} frame at or after ${at} (${decoded.errors[0]!.message.trim()})`);
  if (decoded.samplesDecoded !== expected || (channels !== null && decoded.channelData.length !== channels)) {
    throw new InputFileError(`damaged ${codec} frame at or after ${at}: ${decoded.samplesDecoded} samples decoded where the frames hold ${expected}`);
  }
  return decoded;
}

/** A compressed stream, opened and indexed, ready to decode from any restart point. */
export interface CodecStream {
  readonly info: AudioInfo;
  /** Decoded position of frame 0 of the audio: the codec's delay (MP3 encoder + decoder delay, Opus pre-skip...). */
  readonly delay: number;
  /** Whether decoding from any restart point gives the same samples as decoding from the start. */
  readonly exactRestarts: boolean;
  /** A decode whose output is exact from decoded position `position` on (it may start earlier). */
  session(position: number): Promise<DecodeSession>;
  close(): Promise<void>;
}

interface Running {
  readonly session: DecodeSession;
  /** The segment it serves (codecs without exact restarts), else -1. */
  readonly segment: number;
  /** Whether it has decoded anything yet. */
  started: boolean;
  /** The block being filled, from its first frame. */
  block: number;
  data: Float32Array | null;
  fill: number;
}

function seconds(frames: number, rate: number): string {
  return `${(frames / rate).toFixed(2)} s`;
}

/** Mono frames of a CodecStream by index, through a block cache. */
export class StreamedAudio implements FrameSource {
  private readonly cache = new Map<number, Float32Array>();
  private running: Running | null = null;
  /** Reads run one at a time: they share the running decode. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /**
   * The block a read is waiting for, and its data once decoded: one decode call can return more
   * blocks than the cache keeps (32 FLAC frames of 65535 samples are 32 blocks), and the block
   * asked for must not be evicted by the very chunk that decoded it.
   */
  private wanted: { block: number; data: Float32Array | null } | null = null;
  /** Counters for tests and benchmarks: decodes started and blocks decoded. */
  readonly stats = { sessions: 0, blocks: 0 };

  constructor(private readonly stream: CodecStream) {}

  /** Blocks held in the cache now (never more than CACHE_BLOCKS). */
  get cachedBlocks(): number {
    return this.cache.size;
  }

  get info(): AudioInfo {
    return this.stream.info;
  }

  readFrames(start: number, count: number, out: Float32Array = new Float32Array(count), outOffset = 0): Promise<Float32Array> {
    const { frames } = this.stream.info;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > frames) {
      return Promise.reject(new RangeError(`frames [${start}, ${start + count}) are outside the file's ${frames} frames`));
    }
    if (outOffset < 0 || outOffset + count > out.length) return Promise.reject(new RangeError('output array too small'));
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('audio file is closed');
      for (let at = start; at < start + count; ) {
        const b = Math.floor(at / BLOCK);
        // Blocks served from the cache resolve at once, and awaiting a settled promise never
        // lets a signal handler run: give the event loop a turn now and then (util/yield.ts).
        await pause();
        const data = await this.block(b);
        const from = at - b * BLOCK;
        const n = Math.min(data.length - from, start + count - at);
        out.set(data.subarray(from, from + n), outOffset + (at - start));
        at += n;
      }
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private blockLength(b: number): number {
    return Math.min(BLOCK, this.stream.info.frames - b * BLOCK);
  }

  private async block(b: number): Promise<Float32Array> {
    const hit = this.cache.get(b);
    if (hit) {
      this.cache.delete(b); // refresh its place in the LRU order
      this.cache.set(b, hit);
      return hit;
    }
    const { delay, exactRestarts } = this.stream;
    const segment = exactRestarts ? -1 : Math.floor(b / RESTART_SEGMENT);
    const target = b * BLOCK + delay;
    const r = this.running;
    // The running decode can serve the block if it is filling it, or has not reached it yet.
    const usable =
      r !== null &&
      ((r.block === b && r.data !== null) || (r.session.position <= target && (exactRestarts ? target - r.session.position <= MAX_FORWARD_GAP : r.segment === segment)));
    const start = exactRestarts ? target : segment * RESTART_SEGMENT * BLOCK + delay;
    if (!usable) await this.restart(start, segment);
    this.wanted = { block: b, data: null };
    try {
      for (let restarts = 0; ; ) {
        const data = this.cache.get(b) ?? this.wanted.data;
        if (data) return data;
        if (!this.running) {
          // The decode ended without this block (only a damaged stream does that): one more try.
          if (++restarts > 1) throw new InputFileError(`cannot decode the audio at ${seconds(b * BLOCK, this.stream.info.sampleRate)} (damaged stream)`);
          await this.restart(start, segment);
        }
        await this.pull();
        await pause();
      }
    } finally {
      this.wanted = null;
    }
  }

  private async restart(position: number, segment: number): Promise<void> {
    this.running?.session.close();
    this.running = null;
    const session = await this.stream.session(position);
    this.stats.sessions++;
    this.running = { session, segment, started: false, block: -1, data: null, fill: 0 };
  }

  /** Decodes the next chunk of the running session into blocks. */
  private async pull(): Promise<void> {
    const r = this.running!;
    const { frames, sampleRate } = this.stream.info;
    const chunk = await r.session.next();
    if (!chunk) {
      r.session.close();
      this.running = null;
      const where = r.started ? `stops at ${seconds(Math.max(0, r.session.position - this.stream.delay), sampleRate)}` : 'is missing from a point';
      throw new InputFileError(`the audio ${where}, before the ${seconds(frames, sampleRate)} the file declares (damaged or cut short)`);
    }
    r.started = true;
    const { samples } = chunk;
    let s = chunk.position - this.stream.delay; // frame index of samples[0]
    let i = 0;
    if (s < 0) {
      i = Math.min(samples.length, -s);
      s += i;
    }
    while (i < samples.length && s < frames) {
      const b = Math.floor(s / BLOCK);
      const offset = s - b * BLOCK;
      if (r.segment >= 0 && Math.floor(b / RESTART_SEGMENT) !== r.segment) {
        if (Math.floor(b / RESTART_SEGMENT) < r.segment) {
          // Pre-roll before the segment: decoded only to settle the decoder.
          const skip = Math.min(samples.length - i, r.segment * RESTART_SEGMENT * BLOCK - s);
          i += skip;
          s += skip;
          continue;
        }
        // This session's segment is complete: the next one is decoded from its own restart point.
        r.session.close();
        this.running = null;
        return;
      }
      if (r.block !== b) {
        if (offset !== 0) {
          // The session started inside this block: skip to the next block's start.
          const skip = Math.min(samples.length - i, BLOCK - offset);
          i += skip;
          s += skip;
          continue;
        }
        r.block = b;
        r.data = this.cache.has(b) ? null : new Float32Array(this.blockLength(b));
        r.fill = 0;
      }
      const n = Math.min(samples.length - i, this.blockLength(b) - r.fill);
      r.data?.set(samples.subarray(i, i + n), r.fill);
      r.fill += n;
      i += n;
      s += n;
      if (r.fill === this.blockLength(b)) {
        if (r.data) this.store(b, r.data);
        r.block = -1;
        r.data = null;
      }
    }
    if (s >= frames && r.block === -1) {
      r.session.close();
      this.running = null;
    }
  }

  private store(b: number, data: Float32Array): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v - v !== 0) {
        throw new InputFileError(`decoding gave NaN/infinite samples at ${seconds(b * BLOCK + i, this.stream.info.sampleRate)} (damaged data)`);
      }
    }
    this.stats.blocks++;
    if (this.wanted?.block === b) this.wanted.data = data;
    this.cache.set(b, data);
    while (this.cache.size > CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.running?.session.close();
    this.running = null;
    this.cache.clear();
    await this.stream.close();
  }
}

/**
 * Restart points of a stream: byte offset and decoded position of each frame (FLAC, MP3) or
 * page (Ogg), in growing typed arrays (16 bytes per entry: ~1 MB for 30 minutes of MP3).
 */
export class PositionIndex {
  private offsets = new Float64Array(1024);
  private positions = new Float64Array(1024);
  length = 0;

  push(offset: number, position: number): void {
    if (this.length === this.offsets.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.offsets = grow(this.offsets);
      this.positions = grow(this.positions);
    }
    this.offsets[this.length] = offset;
    this.positions[this.length] = position;
    this.length++;
  }

  offset(k: number): number {
    return this.offsets[k]!;
  }

  position(k: number): number {
    return this.positions[k]!;
  }

  /** Index of the last entry whose position is <= `position` (0 when none is). */
  find(position: number): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.positions[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
