/**
 * FLAC: the metadata is parsed here, the frames are found by a scan at open, and libFLAC
 * (wasm-decoders.ts) decodes them.
 *
 * The scan is written by hand because random access needs what no streaming parser gives: the
 * byte offset and sample position of every frame. FLAC frames have no length field, so a frame
 * ends where the next valid frame header begins, and "valid" is decided the way libFLAC decides
 * it, plus continuity: the candidate's header passes its CRC-8, agrees with STREAMINFO, carries
 * the next frame or sample number, and the bytes before it pass the frame's CRC-16. A frame
 * whose CRC-16 fails in front of a perfect successor is damaged (an error, found at open); a
 * jump in numbering is missing frames (an error); a last frame without its end is dropped with
 * a warning (a file cut short, as with WAV). The scan reads the file once in 1 MB steps.
 *
 * Decoding is bit-exact: libFLAC's integers are scaled the way WAV samples are (x / 2^(bits-1)),
 * so a FLAC file scores exactly like the WAV it was made from. The wasm build hands out
 * x / (2^(bits-1) - 1) as float32 for 8, 16 and 24 bits, from which x is recovered exactly
 * (the rounding error is below 0.25), and x / 2^31 for 32 bits, which is already the WAV
 * value. Other depths (12, 20 bits...) it does not scale at all, so they are refused.
 */
import { InputFileError } from '../errors.js';
import { crc16, crc16Step, crc8 } from './crc.js';
import { checkSampleRate } from './limits.js';
import { ReadWindow, type ByteSource } from './source.js';
import { checkedDecode, PositionIndex, type CodecStream, type DecodedChunk, type DecodeSession } from './streamed.js';
import type { AudioInfo } from './types.js';
import { FlacFrameDecoder, type PlanarAudio } from './wasm-decoders.js';

interface StreamInfo {
  readonly minBlock: number;
  readonly maxBlock: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bits: number;
  /** Total samples per channel, 0 when unknown. */
  readonly totalSamples: number;
  /** The STREAMINFO block as a stream of its own ("fLaC" + block), fed to each new decoder. */
  readonly header: Uint8Array;
}

interface FrameHeader {
  readonly variable: boolean;
  /** Frame number (fixed block size) or sample number (variable). */
  readonly number: number;
  readonly blockSize: number;
  readonly length: number;
}

const SUPPORTED_BITS = [8, 16, 24, 32];
const RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
const BITS = [0, 8, 12, 0, 16, 20, 24, 32];
/** Longest possible frame header: sync..CRC-8 with a 7-byte number and 2-byte block size and rate. */
const MAX_HEADER = 16;
const SCAN_STEP = 1 << 20;
/** Frames decoded per call (bounded also by DECODE_BYTES, and by DECODE_SAMPLES: 32 frames of 65535 samples would be more blocks than streamed.ts caches). */
const DECODE_FRAMES = 32;
const DECODE_BYTES = 1 << 18;
const DECODE_SAMPLES = 1 << 19;
/**
 * The wasm libFLAC (@wasm-audio-decoders/flac 0.2.11, the latest) fails with "memory access out
 * of bounds" when, after STREAMINFO, frames of different block sizes follow each other in one
 * decoder with 8 channels (every 8-channel file: its last frame is shorter). FLAC frames do not
 * depend on each other, so with more than this many channels a decoder only ever sees frames of
 * one block size, and a new one is made when the size changes (once per file, normally).
 */
const MAX_CHANNELS_MIXED_BLOCKS = 2;

function cutShort(size: number, where: string): InputFileError {
  return new InputFileError(`header cut short: the file ends after ${size} bytes, ${where}`);
}

async function readStreamInfo(src: ByteSource, start: number): Promise<{ info: StreamInfo; firstFrame: number }> {
  const window = new ReadWindow(src);
  let pos = start + 4;
  let info: StreamInfo | null = null;
  for (let count = 0; ; count++) {
    if (count > 100_000) throw new InputFileError('more than 100000 FLAC metadata blocks (corrupt file)');
    const head = await window.bytes(pos, 4);
    if (head.length < 4) throw cutShort(src.size, 'inside the FLAC metadata');
    const last = (head[0]! & 0x80) !== 0;
    const type = head[0]! & 0x7f;
    const length = head.readUIntBE(1, 3);
    if (count === 0) {
      if (type !== 0 || length < 34) throw new InputFileError('FLAC file without a STREAMINFO block first (corrupt header)');
      const body = await window.bytes(pos + 4, 34);
      if (body.length < 34) throw cutShort(src.size, 'inside the FLAC STREAMINFO block');
      info = parseStreamInfo(body);
    } else if (type === 127) {
      throw new InputFileError(`invalid FLAC metadata block type 127 at byte ${pos} (corrupt header)`);
    }
    pos += 4 + length;
    if (pos > src.size) throw cutShort(src.size, 'inside the FLAC metadata');
    if (last) return { info: info!, firstFrame: pos };
  }
}

function parseStreamInfo(b: Buffer): StreamInfo {
  const minBlock = b.readUInt16BE(0);
  const maxBlock = b.readUInt16BE(2);
  const sampleRate = (b[10]! << 12) | (b[11]! << 4) | (b[12]! >> 4);
  const channels = ((b[12]! >> 1) & 7) + 1;
  const bits = (((b[12]! & 1) << 4) | (b[13]! >> 4)) + 1;
  const totalSamples = (b[13]! & 15) * 2 ** 32 + b.readUInt32BE(14);
  checkSampleRate(sampleRate, 'FLAC STREAMINFO');
  if (maxBlock < 16 || minBlock > maxBlock) {
    throw new InputFileError(`FLAC STREAMINFO gives block sizes ${minBlock}..${maxBlock} (corrupt header)`);
  }
  if (!SUPPORTED_BITS.includes(bits)) {
    throw new InputFileError(`FLAC with ${bits}-bit samples is not supported (8, 16, 24 and 32-bit are); convert it to 16 or 24 bits`);
  }
  const header = new Uint8Array(4 + 4 + 34);
  header.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]); // "fLaC", last block, type 0, length 34
  header.set(b.subarray(0, 34), 8);
  return { minBlock, maxBlock, sampleRate, channels, bits, totalSamples, header };
}

/** The frame header at b[i], or null when there is none that fits this stream. */
function frameHeader(b: Uint8Array, i: number, end: number, si: StreamInfo): FrameHeader | null {
  if (i + 6 > end || b[i] !== 0xff || (b[i + 1]! & 0xfe) !== 0xf8) return null;
  const variable = (b[i + 1]! & 1) === 1;
  const blockCode = b[i + 2]! >> 4;
  const rateCode = b[i + 2]! & 15;
  const channelCode = b[i + 3]! >> 4;
  const bitsCode = (b[i + 3]! >> 1) & 7;
  if (blockCode === 0 || rateCode === 15 || channelCode > 10 || bitsCode === 3 || (b[i + 3]! & 1) !== 0) return null;
  // The frame or sample number, coded like UTF-8 (up to 7 bytes for 36 bits).
  let p = i + 4;
  const lead = b[p]!;
  let extra = 0;
  let number = lead;
  if (lead >= 0x80) {
    if (lead < 0xc0 || lead === 0xff) return null;
    while (lead & (0x40 >> extra)) extra++;
    number = lead & (0x3f >> extra);
  }
  if (extra > (variable ? 6 : 5) || p + 1 + extra > end) return null;
  for (let k = 1; k <= extra; k++) {
    const c = b[p + k]!;
    if ((c & 0xc0) !== 0x80) return null;
    number = number * 64 + (c & 0x3f);
  }
  p += 1 + extra;
  let blockSize: number;
  if (blockCode === 1) blockSize = 192;
  else if (blockCode <= 5) blockSize = 576 << (blockCode - 2);
  else if (blockCode === 6) blockSize = b[p++]! + 1;
  else if (blockCode === 7) {
    blockSize = ((b[p]! << 8) | b[p + 1]!) + 1;
    p += 2;
  } else blockSize = 256 << (blockCode - 8);
  let rate = RATES[rateCode] ?? 0;
  if (rateCode === 12) rate = b[p++]! * 1000;
  else if (rateCode === 13 || rateCode === 14) {
    rate = ((b[p]! << 8) | b[p + 1]!) * (rateCode === 14 ? 10 : 1);
    p += 2;
  }
  if (p >= end || crc8(b, i, p) !== b[p]) return null;
  const channels = channelCode < 8 ? channelCode + 1 : 2;
  const bits = BITS[bitsCode]!;
  if (channels !== si.channels || (bits !== 0 && bits !== si.bits) || (rateCode !== 0 && rate !== si.sampleRate) || blockSize > si.maxBlock) {
    return null;
  }
  return { variable, number, blockSize, length: p + 1 - i };
}

function secondsAt(position: number, rate: number): string {
  return `${(position / rate).toFixed(2)} s`;
}

interface FrameScan {
  readonly frames: PositionIndex;
  /** End of the last frame's bytes. */
  readonly end: number;
  readonly total: number;
}

/**
 * Finds every frame from `start` (see the module comment). Returns the frames whose end was
 * confirmed, plus the last one when it runs to the end of the file; the caller checks that one.
 */
async function scanFrames(src: ByteSource, start: number, si: StreamInfo, warnings: string[]): Promise<{ scan: FrameScan; lastUnconfirmed: boolean }> {
  const frames = new PositionIndex();
  const window = new ReadWindow(src, SCAN_STEP + MAX_HEADER);
  let current: FrameHeader | null = null;
  let frameStart = -1;
  let position = 0;
  let crc = 0;
  for (let base = start; base < src.size; base += SCAN_STEP) {
    const b = await window.bytes(base, SCAN_STEP + MAX_HEADER);
    const stop = Math.min(SCAN_STEP, b.length);
    for (let j = 0; j < stop; j++) {
      // Only a 0xFF byte can start a header: checksum the bytes up to the next one in one go.
      const next = b.indexOf(0xff, j);
      const until = next < 0 || next > stop ? stop : next;
      if (current) crc = crc16(b, j, until, crc);
      j = until;
      if (j === stop) break;
      {
        const q = base + j;
        if (!current) {
          const h = frameHeader(b, j, b.length, si);
          if (h) {
            if (q > start) warnings.push(`skipped ${q - start} bytes of unknown data before the first FLAC frame`);
            current = h;
            frameStart = q;
            crc = 0;
          }
        } else if (q - frameStart >= current.length + 3) {
          const h = frameHeader(b, j, b.length, si);
          if (h && h.variable === current.variable) {
            const expected = current.variable ? current.number + current.blockSize : current.number + 1;
            if (h.number === expected) {
              if (crc !== 0) {
                throw new InputFileError(`damaged FLAC frame at ${secondsAt(position, si.sampleRate)} (its checksum does not match)`);
              }
              frames.push(frameStart, position);
              position += current.blockSize;
              current = h;
              frameStart = q;
              crc = 0;
            } else if (crc === 0 && h.number > expected) {
              throw new InputFileError(`FLAC frames are missing after ${secondsAt(position + current.blockSize, si.sampleRate)} (damaged or spliced file)`);
            }
          }
        }
      }
      if (current) crc = crc16Step(crc, b[j]!);
    }
    if (b.length < SCAN_STEP) break;
  }
  if (!current) throw new InputFileError('no FLAC audio frame found after the metadata');
  frames.push(frameStart, position);
  position += current.blockSize;
  return { scan: { frames, end: src.size, total: position }, lastUnconfirmed: crc !== 0 };
}

/** Mono samples from libFLAC's output, scaled exactly like WAV samples of the same depth. */
function toMono(decoded: PlanarAudio, bits: number, out: Float32Array): void {
  const channels = decoded.channelData;
  const n = decoded.samplesDecoded;
  const scale = 2 ** (bits - 1);
  const divisor = scale - 1;
  const exact = (v: number) => (bits === 32 ? v : Math.round(v * divisor) / scale);
  if (channels.length === 1) {
    const ch = channels[0]!;
    for (let i = 0; i < n; i++) out[i] = exact(ch[i]!);
    return;
  }
  // Mono = plain average of the channels, each first rounded to float32 as a WAV sample is.
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const ch of channels) sum += Math.fround(exact(ch[i]!));
    out[i] = sum / channels.length;
  }
}

class FlacSession implements DecodeSession {
  position: number;
  private decoder: FlacFrameDecoder | null;
  /** Block size of the frames the decoder has seen (-1: none yet). */
  private blockSize = -1;

  constructor(
    private readonly stream: FlacStream,
    decoder: FlacFrameDecoder,
    private frame: number,
  ) {
    this.decoder = decoder;
    this.position = stream.scan.frames.position(frame);
  }

  async next(): Promise<DecodedChunk | null> {
    const { frames, end, total } = this.stream.scan;
    if (!this.decoder || this.frame >= frames.length) return null;
    const first = this.frame;
    const from = frames.offset(first);
    const sizeOf = (k: number) => (k + 1 < frames.length ? frames.position(k + 1) : total) - frames.position(k);
    const uniform = this.stream.info.channels > MAX_CHANNELS_MIXED_BLOCKS;
    let last = first + 1;
    while (
      last < frames.length &&
      last - first < DECODE_FRAMES &&
      frames.offset(last) - from < DECODE_BYTES &&
      frames.position(last) - frames.position(first) < DECODE_SAMPLES &&
      !(uniform && sizeOf(last) !== sizeOf(first))
    ) {
      last++;
    }
    if (uniform && this.blockSize !== -1 && this.blockSize !== sizeOf(first)) {
      this.decoder.free();
      this.decoder = null;
      this.decoder = await newDecoder(this.stream.streamInfo);
    }
    this.blockSize = sizeOf(first);
    const to = last < frames.length ? frames.offset(last) : end;
    const bytes = await this.stream.src.read(from, to - from);
    if (bytes.length < to - from) throw new InputFileError(`file shrank while being read (expected ${to - from} bytes at byte ${from})`);
    const parts: Uint8Array[] = [];
    for (let k = first; k < last; k++) {
      const a = frames.offset(k) - from;
      parts.push(bytes.subarray(a, (k + 1 < last ? frames.offset(k + 1) : to) - from));
    }
    const expected = (last < frames.length ? frames.position(last) : total) - frames.position(first);
    const at = secondsAt(this.position, this.stream.info.sampleRate);
    const decoder = this.decoder;
    const decoded = await checkedDecode('FLAC', at, expected, this.stream.info.channels, () => decoder.decode(parts));
    const samples = new Float32Array(expected);
    toMono(decoded, this.stream.streamInfo.bits, samples);
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

class FlacStream implements CodecStream {
  readonly delay = 0;
  readonly exactRestarts = true;

  constructor(
    readonly src: ByteSource,
    readonly info: AudioInfo,
    readonly streamInfo: StreamInfo,
    readonly scan: FrameScan,
  ) {}

  async session(position: number): Promise<DecodeSession> {
    const decoder = await newDecoder(this.streamInfo);
    return new FlacSession(this, decoder, this.scan.frames.find(position));
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

async function newDecoder(si: StreamInfo): Promise<FlacFrameDecoder> {
  const decoder = await FlacFrameDecoder.create();
  // STREAMINFO first: frames may leave their rate or depth to it.
  await decoder.decode([si.header]);
  return decoder;
}

/** Decodes the last frame alone: true when libFLAC finds it whole (trailing bytes after it are ignored). */
async function lastFrameIsWhole(src: ByteSource, si: StreamInfo, scan: FrameScan): Promise<boolean> {
  const k = scan.frames.length - 1;
  const from = scan.frames.offset(k);
  const bytes = await src.read(from, scan.end - from);
  const decoder = await newDecoder(si);
  try {
    const decoded = await decoder.decode([bytes]);
    return decoded.errors.length === 0 && decoded.samplesDecoded === scan.total - scan.frames.position(k);
  } catch {
    return false;
  } finally {
    decoder.free();
  }
}

/** Opens the FLAC stream whose "fLaC" marker is at byte `start` (after any ID3v2 tag). */
export async function openFlac(src: ByteSource, start: number, warnings: string[]): Promise<CodecStream> {
  const { info: si, firstFrame } = await readStreamInfo(src, start);
  const found = await scanFrames(src, firstFrame, si, warnings);
  let scan = found.scan;
  if (found.lastUnconfirmed && !(await lastFrameIsWhole(src, si, scan))) {
    const k = scan.frames.length - 1;
    const kept = scan.frames.position(k);
    if (k === 0) throw new InputFileError('no complete FLAC frame: the file is cut short inside the first one');
    warnings.push(`the file is cut short inside its last FLAC frame; using the ${kept} samples before it`);
    const frames = new PositionIndex();
    for (let i = 0; i < k; i++) frames.push(scan.frames.offset(i), scan.frames.position(i));
    scan = { frames, end: scan.frames.offset(k), total: kept };
  }
  if (si.totalSamples > scan.total) {
    warnings.push(`STREAMINFO declares ${si.totalSamples} samples but the frames hold ${scan.total} (file cut short); using those`);
  } else if (si.totalSamples !== 0 && si.totalSamples < scan.total) {
    warnings.push(`STREAMINFO declares ${si.totalSamples} samples but the frames hold ${scan.total}; using the frames`);
  }
  const info: AudioInfo = {
    format: 'flac',
    codec: 'flac',
    sampleRate: si.sampleRate,
    channels: si.channels,
    frames: scan.total,
    warnings,
  };
  return new FlacStream(src, info, si, scan);
}
