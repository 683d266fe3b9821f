/**
 * MP3 (and MPEG Layer I/II): frames found by a scan at open, decoded by mpg123.
 *
 * - The scan hops from header to header (each gives its frame's length), so it reads the file
 *   once and stores every frame's offset. Its count is the truth for the length: a Xing/Info
 *   or VBRI frame count only says whether the file is complete. Bytes that are not frames
 *   (junk, a damaged stretch) are skipped up to the next run of frames, with a warning; tags at
 *   the end (ID3v1, APE, Lyrics3) end the audio.
 * - Delay and padding: a decoded Layer III stream starts 529 samples late (mpg123's decoder
 *   delay) plus the encoder's delay, and ends with the encoder's padding. With a LAME tag (LAME,
 *   FFmpeg) both are known and removed, so the audio lines up with the encoder's input sample
 *   for sample; without one only the decoder delay is removed.
 * - Restarts. Layer III frames borrow bits from up to 511 bytes of earlier frames (the bit
 *   reservoir) and overlap the previous frame, so a decode restarts a few frames early
 *   (PREROLL_BYTES of frames plus one). mpg123's synthesis filter keeps a ring position that
 *   advances 2 or 4 steps per frame, cycling every 16 steps; the summation order follows it,
 *   so restarting on a frame that is a multiple of RESTART_ALIGN from the start puts it where a
 *   decode from the start has it, and the samples come out bit-identical.
 */
import { InputFileError } from '../errors.js';
import { infoTag, mpegFrameAt, sameStream, type InfoTag, type MpegFrame } from './mpeg-header.js';
import { ReadWindow, type ByteSource } from './source.js';
import { checkedDecode, PositionIndex, type CodecStream, type DecodedChunk, type DecodeSession } from './streamed.js';
import type { AudioFormat, AudioInfo } from './types.js';
import { MpegFrameDecoder } from './wasm-decoders.js';

/** mpg123's Layer III decoder delay (GAPLESS_DELAY in libmpg123). */
const DECODER_DELAY = 529;
/** Restart on frames whose index is a multiple of this (see the module comment). */
const RESTART_ALIGN = 16;
/** Bytes of frames decoded before the frame wanted: the bit reservoir (511) with room to spare. */
const PREROLL_BYTES = 1024;
const SCAN_STEP = 1 << 20;
/** Frames decoded per call. */
const DECODE_FRAMES = 64;

interface MpegScan {
  readonly first: MpegFrame;
  /** Audio frames: offset, and decoded position (index x samples per frame). */
  readonly frames: PositionIndex;
  /** End of the last frame. */
  readonly end: number;
  readonly tag: InfoTag | null;
}

function isTrailingTag(b: Uint8Array, i: number): boolean {
  const text = String.fromCharCode(...b.subarray(i, i + 11));
  return text.startsWith('TAG') || text.startsWith('APETAGEX') || text.startsWith('LYRICSBEGIN') || text.startsWith('ID3');
}

async function scanFrames(src: ByteSource, start: number, warnings: string[]): Promise<MpegScan> {
  const window = new ReadWindow(src, SCAN_STEP);
  const head = await window.bytes(start, 4);
  const first = mpegFrameAt(head, 0);
  if (!first) throw new InputFileError('no MPEG audio frame where one was found (file changed?)');
  const frames = new PositionIndex();
  let tag: InfoTag | null = null;
  let p = start;
  while (p < src.size) {
    const b = await window.bytes(p, 4);
    const f = b.length === 4 ? mpegFrameAt(b, 0) : null;
    if (f && sameStream(first, f)) {
      if (p + f.length > src.size) {
        warnings.push(`the last MPEG frame is cut short (${src.size - p} of ${f.length} bytes); ignored`);
        break;
      }
      if (p === start) {
        const whole = await window.bytes(p, f.length);
        tag = infoTag(whole, f);
        if (tag) {
          p += f.length;
          continue;
        }
      }
      frames.push(p, frames.length * first.samples);
      p += f.length;
      continue;
    }
    const tail = await window.bytes(p, 11);
    if (isTrailingTag(tail, 0)) break;
    // Not a frame: find the next run of two frames of this stream.
    const resumed = await resync(window, src.size, p + 1, first);
    if (resumed < 0) {
      warnings.push(`ignored ${src.size - p} bytes after the last MPEG frame that are not audio`);
      break;
    }
    warnings.push(`skipped ${resumed - p} bytes of damaged data at ${(frames.length * first.samples / first.sampleRate).toFixed(2)} s`);
    p = resumed;
  }
  if (frames.length === 0) throw new InputFileError('no MPEG audio frames (only a header frame, or the file is cut short)');
  const last = frames.length - 1;
  const lastFrame = mpegFrameAt(await window.bytes(frames.offset(last), 4), 0)!;
  return { first, frames, end: frames.offset(last) + lastFrame.length, tag };
}

/** Offset of the next frame at or after `from` that is followed by another of the stream, or -1. */
async function resync(window: ReadWindow, size: number, from: number, stream: MpegFrame): Promise<number> {
  for (let base = from; base < size; base += SCAN_STEP) {
    const b = await window.bytes(base, SCAN_STEP + 8192);
    const stop = Math.min(SCAN_STEP, b.length);
    for (let i = 0; i < stop; i++) {
      if (b[i] !== 0xff) continue;
      const f = mpegFrameAt(b, i);
      if (!f || !sameStream(stream, f)) continue;
      const nextAt = base + i + f.length;
      if (nextAt === size) return base + i;
      const next = i + f.length + 4 <= b.length ? mpegFrameAt(b, i + f.length) : null;
      if (next && sameStream(stream, next)) return base + i;
    }
    if (b.length < SCAN_STEP) break;
  }
  return -1;
}

function formatOf(layer: 1 | 2 | 3): AudioFormat {
  return layer === 3 ? 'mp3' : layer === 2 ? 'mp2' : 'mp1';
}

class MpegSession implements DecodeSession {
  position: number;
  private decoder: MpegFrameDecoder | null;

  constructor(
    private readonly stream: MpegStream,
    decoder: MpegFrameDecoder,
    private frame: number,
  ) {
    this.decoder = decoder;
    this.position = frame * stream.scan.first.samples;
  }

  async next(): Promise<DecodedChunk | null> {
    const { frames, end, first } = this.stream.scan;
    if (!this.decoder || this.frame >= frames.length) return null;
    const from = this.frame;
    const last = Math.min(frames.length, from + DECODE_FRAMES);
    const start = frames.offset(from);
    const stop = last < frames.length ? frames.offset(last) : end;
    const bytes = await this.stream.src.read(start, stop - start);
    if (bytes.length < stop - start) throw new InputFileError(`file shrank while being read (expected ${stop - start} bytes at byte ${start})`);
    // Frames are fed without the bytes skipped between them (damaged stretches).
    const parts: Uint8Array[] = [];
    let contiguous = true;
    for (let k = from; k < last; k++) {
      const at = frames.offset(k) - start;
      const frame = mpegFrameAt(bytes, at);
      if (!frame) throw new InputFileError(`file changed while being read (no MPEG frame at byte ${start + at} any more)`);
      const length = frame.length;
      parts.push(bytes.subarray(at, at + length));
      if (k + 1 < last && frames.offset(k + 1) !== frames.offset(k) + length) contiguous = false;
    }
    const feed = contiguous ? bytes.subarray(0, parts.reduce((n, part) => n + part.length, 0)) : Buffer.concat(parts);
    const expected = (last - from) * first.samples;
    const at = `${(Math.max(0, this.position - this.stream.delay) / first.sampleRate).toFixed(2)} s`;
    const decoder = this.decoder;
    const decoded = await checkedDecode('MPEG', at, expected, null, () => decoder.decode(feed));
    // mpg123 always gives two channels (a mono file is duplicated): their mean is the mono mix.
    const [left, right] = decoded.channelData as [Float32Array, Float32Array];
    const samples = new Float32Array(expected);
    for (let i = 0; i < expected; i++) samples[i] = (left[i]! + right[i]!) / 2;
    const chunk = { position: this.position, samples };
    this.position += expected;
    this.frame = last;
    return chunk;
  }

  close(): void {
    this.decoder?.free();
    this.decoder = null;
  }
}

class MpegStream implements CodecStream {
  readonly exactRestarts = true;

  constructor(
    readonly src: ByteSource,
    readonly info: AudioInfo,
    readonly scan: MpegScan,
    readonly delay: number,
  ) {}

  async session(position: number): Promise<DecodeSession> {
    const { frames } = this.scan;
    const wanted = frames.find(position);
    let start = Math.max(0, wanted - 2);
    while (start > 0 && frames.offset(wanted - 1) - frames.offset(start) < PREROLL_BYTES) start--;
    start -= start % RESTART_ALIGN;
    return new MpegSession(this, await MpegFrameDecoder.create(), start);
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

/** Opens the MPEG audio stream whose first frame is at byte `start`. */
export async function openMpeg(src: ByteSource, start: number, warnings: string[]): Promise<CodecStream> {
  const scan = await scanFrames(src, start, warnings);
  const { first, frames, tag } = scan;
  const decoded = frames.length * first.samples;
  const decoderDelay = first.layer === 3 ? DECODER_DELAY : 0;
  let delay = decoderDelay;
  let length = decoded - delay;
  if (tag?.encoderDelay != null && tag.padding != null) {
    delay += tag.encoderDelay;
    length = decoded - delay;
    // The padding applies to the encoder's last frame: only when the file is complete.
    const complete = tag.frames === null || tag.frames === frames.length;
    if (complete) length = Math.min(length, decoded - tag.encoderDelay - tag.padding);
  }
  if (tag?.frames != null && tag.frames > frames.length) {
    warnings.push(`the MPEG header frame declares ${tag.frames} frames but ${frames.length} are present (file cut short)`);
  }
  if (length <= 0) throw new InputFileError('no audio samples (the MPEG frames hold less than the codec delay)');
  const info: AudioInfo = {
    format: formatOf(first.layer),
    codec: formatOf(first.layer),
    sampleRate: first.sampleRate,
    channels: first.channels,
    frames: length,
    warnings,
  };
  return new MpegStream(src, info, scan, delay);
}
