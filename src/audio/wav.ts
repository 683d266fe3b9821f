/**
 * WAV files: header parsing (through the chunk walker, headers only) and decoding of any
 * range of frames in bounded blocks, so that memory follows the request, not the file.
 */
import { InputFileError } from '../errors.js';
import { decodeFrames } from './pcm.js';
import { printable, walkRiff, type RiffChunk, type RiffLayout } from './riff.js';
import type { ByteSource } from './source.js';
import { parseFormat, type Codec, type WavFormat } from './wav-format.js';

export interface WavInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** Whole frames present in the file (after any truncation). */
  readonly frames: number;
  readonly codec: Codec;
  /** Things that were repaired or assumed while reading the header, in plain words. */
  readonly warnings: string[];
}

/** Raw bytes decoded per step: bounds the temporary memory of a read whatever its size. */
const BLOCK_BYTES = 1 << 20;
/** A fmt chunk body larger than this is never needed (extensible is 40 bytes). */
const FMT_BYTES_NEEDED = 64;

function insideChunk(c: RiffChunk): string {
  return `inside the "${printable(Buffer.from(c.id, 'latin1'))}" chunk (which declares ${c.declaredSize} bytes)`;
}

/** The file ended before the header was complete: where, in words (undefined if it did not). */
function cutShort(layout: RiffLayout): InputFileError | undefined {
  const last = layout.chunks[layout.chunks.length - 1];
  const where =
    layout.endedInsideHeaderAt !== undefined
      ? 'inside a chunk header'
      : last?.truncated
        ? insideChunk(last)
        : layout.chunks.length === 0
          ? 'before any chunk'
          : undefined;
  return where ? new InputFileError(`header cut short: the file ends after ${layout.fileSize} bytes, ${where}`) : undefined;
}

function corruptNote(layout: RiffLayout): string {
  return layout.garbageAt !== undefined ? `; the chunk list is corrupt from byte ${layout.garbageAt}` : '';
}

async function readFormat(src: ByteSource, layout: RiffLayout): Promise<{ format: WavFormat; data: RiffChunk }> {
  const fmt = layout.chunks.find((c) => c.id === 'fmt ');
  const data = layout.chunks.find((c) => c.id === 'data');
  if (!fmt) {
    if (data && (data.truncated || data.size === layout.fileSize - data.bodyOffset)) {
      throw new InputFileError('no fmt chunk before the data chunk, which runs to the end of the file (the audio format is unknown)');
    }
    if (!data) throw cutShort(layout) ?? new InputFileError(`no fmt or data chunk (not audio)${corruptNote(layout)}`);
    throw new InputFileError(`no fmt chunk (the audio format is unknown)${corruptNote(layout)}`);
  }
  const body = await src.read(fmt.bodyOffset, Math.min(fmt.size, FMT_BYTES_NEEDED));
  if (fmt.truncated && body.length < 16) {
    throw new InputFileError(`header cut short: the file ends after ${layout.fileSize} bytes, ${insideChunk(fmt)}`);
  }
  const format = parseFormat(body);
  if (!data) throw cutShort(layout) ?? new InputFileError(`no data chunk (no audio samples)${corruptNote(layout)}`);
  return { format, data };
}

/** A WAV file open for random-access reads of mono frames. */
export class WavFile {
  private closed = false;

  private constructor(
    private readonly src: ByteSource,
    readonly info: WavInfo,
    private readonly format: WavFormat,
    private readonly dataOffset: number,
  ) {}

  /** Parses the header of `src`. Throws InputFileError for anything that is not usable audio. */
  static async open(src: ByteSource): Promise<WavFile> {
    const layout = await walkRiff(src, (chunks) => chunks.some((c) => c.id === 'fmt ') && chunks.some((c) => c.id === 'data'));
    const { format, data } = await readFormat(src, layout);
    const warnings = [...layout.warnings, ...format.warnings];
    const frames = Math.floor(data.size / format.frameBytes);
    if (data.truncated) {
      const note = `data chunk declares ${data.declaredSize} bytes but the file ends after ${data.size} of them`;
      if (frames === 0) throw new InputFileError(`no audio samples (${note})`);
      warnings.push(`${note}; using the ${frames} whole frames present`);
    } else if (frames === 0) {
      throw new InputFileError(
        data.size === 0 ? 'no audio samples' : `no audio samples (the data chunk holds ${data.size} bytes, less than one ${format.frameBytes}-byte frame)`,
      );
    } else if (data.size % format.frameBytes !== 0) {
      warnings.push(`data chunk ends with ${data.size % format.frameBytes} bytes of a partial frame; ignored`);
    }
    const info: WavInfo = { sampleRate: format.sampleRate, channels: format.channels, frames, codec: format.codec, warnings };
    return new WavFile(src, info, format, data.bodyOffset);
  }

  /**
   * Mono frames [start, start+count) into `out` at `outOffset` (a new array by default).
   * Reads and decodes at most BLOCK_BYTES of raw data at a time. Throws RangeError outside the
   * file, InputFileError for NaN/infinite samples or a file that shrank since it was opened.
   */
  async readFrames(start: number, count: number, out: Float32Array = new Float32Array(count), outOffset = 0): Promise<Float32Array> {
    if (this.closed) throw new Error('audio file is closed');
    const { frames, sampleRate } = this.info;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > frames) {
      throw new RangeError(`frames [${start}, ${start + count}) are outside the file's ${frames} frames`);
    }
    if (outOffset < 0 || outOffset + count > out.length) throw new RangeError('output array too small');
    const { frameBytes, codec, channels } = this.format;
    const blockFrames = Math.max(1, Math.floor(BLOCK_BYTES / frameBytes));
    for (let done = 0; done < count; ) {
      const n = Math.min(blockFrames, count - done);
      const position = this.dataOffset + (start + done) * frameBytes;
      const raw = await this.src.read(position, n * frameBytes);
      if (raw.length < n * frameBytes) {
        throw new InputFileError(`file shrank while being read (expected ${n * frameBytes} bytes at byte ${position}, got ${raw.length})`);
      }
      const bad = decodeFrames(raw, codec, channels, n, out, outOffset + done);
      if (bad >= 0) {
        throw new InputFileError(`contains NaN/infinite samples at ${((start + done + bad) / sampleRate).toFixed(2)} s`);
      }
      done += n;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.src.close();
  }
}
