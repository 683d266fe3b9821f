/**
 * Which decoder a file needs, from its first bytes (never its name): RIFF/RF64/BW64 is WAV,
 * "fLaC" FLAC, "OggS" Ogg (the codec is read from the stream's first packet), an MPEG audio
 * frame header MP3. An ID3v2 tag in front is skipped. Formats people meet that are not read
 * get a message that names them.
 */
import { InputFileError } from '../errors.js';
import { mpegFrameAt, sameStream } from './mpeg-header.js';
import { printable } from './riff.js';
import { ReadWindow, type ByteSource } from './source.js';

export type Detected =
  | { readonly container: 'wav' }
  | { readonly container: 'ogg' }
  /** `start`: byte offset of "fLaC" or of the first MPEG frame. */
  | { readonly container: 'flac' | 'mpeg'; readonly start: number; readonly warnings: string[] };

const WAV_MAGIC = ['RIFF', 'RF64', 'BW64', 'RIFX', 'FFIR'];
const SUPPORTED = 'tts-critic reads WAV, FLAC, MP3, Ogg Vorbis and Ogg Opus';
/** How far past the start (or an ID3 tag) to look for the first MPEG frame. */
const MPEG_SEARCH = 1 << 16;
/** Consecutive frames that make a run of bytes MPEG audio when it does not start the file. */
const MPEG_CONFIRM = 3;

function unsupported(name: string): InputFileError {
  return new InputFileError(`${name} is not supported (${SUPPORTED}); convert it to WAV or FLAC`);
}

/** Names of formats recognised only to say so. */
function otherFormat(b: Buffer): string | null {
  const text = (at: number, n: number) => b.toString('latin1', at, at + n);
  if (text(4, 4) === 'ftyp') return 'MP4/M4A audio (AAC or ALAC)';
  if (text(0, 4) === 'FORM' && ['AIFF', 'AIFC'].includes(text(8, 4))) return 'AIFF';
  if (b.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))) return 'WebM/Matroska audio';
  if (b.subarray(0, 4).equals(Buffer.from([0x30, 0x26, 0xb2, 0x75]))) return 'WMA/ASF audio';
  if (text(0, 5) === '#!AMR') return 'AMR audio';
  if (text(0, 4) === '.snd') return 'Sun/NeXT AU audio';
  if (text(0, 4) === 'MAC ') return "Monkey's Audio";
  if (text(0, 4) === 'wvpk') return 'WavPack';
  if (text(0, 4) === 'caff') return 'Core Audio (CAF)';
  return null;
}

/**
 * Whether an ADTS (raw AAC) frame starts at b[i] and is followed by another one, or by the end
 * of the file. Two sync bytes alone are not enough: random bytes start with 0xFFF often.
 */
function adtsRun(b: Uint8Array, i: number, fileEnd: boolean): boolean {
  for (let n = 0; n < 2; n++) {
    if (i + 7 > b.length) return n > 0 && fileEnd && i === b.length;
    if (b[i] !== 0xff || (b[i + 1]! & 0xf6) !== 0xf0) return false;
    const rateIndex = (b[i + 2]! >> 2) & 15;
    const length = ((b[i + 3]! & 3) << 11) | (b[i + 4]! << 3) | (b[i + 5]! >> 5);
    if (rateIndex > 12 || length < ((b[i + 1]! & 1) === 0 ? 9 : 7)) return false;
    i += length;
  }
  return true;
}

/**
 * Whether a free-format MPEG audio frame header (bitrate index 0: the frame length is not in
 * the header) starts at b[i] and the same header recurs further on.
 */
function freeFormatMpeg(b: Uint8Array, i: number): boolean {
  if (i + 4 > b.length || b[i] !== 0xff || (b[i + 1]! & 0xe0) !== 0xe0 || b[i + 2]! >> 4 !== 0) return false;
  const versionBits = (b[i + 1]! >> 3) & 3;
  const layerBits = (b[i + 1]! >> 1) & 3;
  if (versionBits === 1 || layerBits === 0 || ((b[i + 2]! >> 2) & 3) === 3) return false;
  // The next frame repeats the first three header bytes (the padding bit may differ).
  for (let j = i + 24; j + 3 <= b.length && j < i + 8192; j++) {
    if (b[j] === b[i] && b[j + 1] === b[i + 1] && (b[j + 2]! & 0xfd) === (b[i + 2]! & 0xfd)) return true;
  }
  return false;
}

/** Size of the ID3v2 tag starting at b[0] (header, body and footer), or 0 when there is none. */
function id3Size(b: Buffer): number {
  if (b.length < 10 || b.toString('latin1', 0, 3) !== 'ID3' || b[3] === 0xff || b[4] === 0xff) return 0;
  if ((b[6]! | b[7]! | b[8]! | b[9]!) & 0x80) return 0;
  const body = (b[6]! << 21) | (b[7]! << 14) | (b[8]! << 7) | b[9]!;
  return 10 + body + (b[5]! & 0x10 ? 10 : 0);
}

/**
 * A frame at b[i] followed by `confirm - 1` more of the same stream (or by the end of the
 * file, which may hold a single frame).
 */
function mpegRun(b: Buffer, i: number, confirm: number, fileEnd: boolean): boolean {
  const first = mpegFrameAt(b, i);
  if (!first) return false;
  if (i + first.length > b.length) return fileEnd; // a first frame cut short: still MPEG audio
  let p = i;
  for (let n = 1; n < confirm; n++) {
    const f = mpegFrameAt(b, p)!;
    p += f.length;
    if (p + 4 > b.length) return fileEnd && p <= b.length;
    const next = mpegFrameAt(b, p);
    if (!next || !sameStream(first, next)) return false;
  }
  return true;
}

export async function detectFormat(src: ByteSource): Promise<Detected> {
  if (src.size === 0) throw new InputFileError('empty file (0 bytes)');
  const window = new ReadWindow(src, MPEG_SEARCH + 4096);
  let head = await window.bytes(0, 12);
  const magic = head.toString('latin1', 0, 4);
  // A file of fewer than 4 bytes that starts like a WAV goes there too, to be called cut short.
  if (WAV_MAGIC.some((m) => (head.length >= 4 ? m === magic : m.startsWith(magic)))) return { container: 'wav' };
  if (magic === 'OggS') return { container: 'ogg' };
  const warnings: string[] = [];
  let start = 0;
  for (let tags = 0; tags < 16; tags++) {
    const size = id3Size(head);
    if (size === 0) break;
    start += size;
    if (start >= src.size) throw new InputFileError(`an ID3 tag of ${size} bytes and no audio after it`);
    head = await window.bytes(start, 12);
  }
  if (head.toString('latin1', 0, 4) === 'fLaC') return { container: 'flac', start, warnings };
  const other = otherFormat(head);
  if (other) throw unsupported(other);
  const area = await window.bytes(start, MPEG_SEARCH + 4096);
  const fileEnd = start + area.length >= src.size;
  if (adtsRun(area, 0, fileEnd)) throw unsupported('AAC (ADTS)');
  if (mpegRun(area, 0, start > 0 ? 1 : 2, fileEnd)) return { container: 'mpeg', start, warnings };
  // Junk or padding before the first frame: accept a run of frames found a little further on.
  for (let i = 1; i < Math.min(MPEG_SEARCH, area.length); i++) {
    if (area[i] === 0xff && mpegRun(area, i, MPEG_CONFIRM, fileEnd)) {
      warnings.push(`skipped ${i} bytes of unknown data before the first MPEG audio frame`);
      return { container: 'mpeg', start: start + i, warnings };
    }
  }
  if (freeFormatMpeg(area, 0)) {
    throw new InputFileError('free-format MP3 (bitrate index 0, no frame length in its headers) is not supported; convert it to WAV, FLAC or a fixed-bitrate MP3');
  }
  if (start > 0) throw new InputFileError(`an ID3 tag (${start} bytes) but no MP3 or FLAC audio after it`);
  throw new InputFileError(`not an audio file (starts with "${printable(head.subarray(0, 4))}"); ${SUPPORTED}`);
}
