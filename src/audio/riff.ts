/**
 * RIFF chunk walker: reads only chunk headers (8 bytes each, through a small read-ahead
 * window) and never a chunk body, so walking a 2-hour file costs a few reads.
 *
 * Robustness rules, each seen in real files:
 * - The RIFF size field is ignored: writers that crash or stream leave it wrong. The actual
 *   file size decides where chunks end.
 * - Odd-sized chunks are followed by a pad byte (RIFF rule), but some writers omit it: when
 *   the unpadded position holds a more plausible chunk header than the padded one (a known id,
 *   a size that fits the file), the unpadded one is taken (and a warning recorded). An id
 *   alone is not enough: "data" one byte early reads as the printable id "ata" + a size byte.
 * - A `data` size of 0xFFFFFFFF (streaming writers, or RF64/BW64 whose real size is in the
 *   `ds64` chunk) or of 0 followed by bytes that are not a chunk header means "to the end of
 *   the file".
 * - A chunk that runs past the end of the file is kept with the bytes present and marked
 *   truncated; walking stops there.
 */
import { InputFileError } from '../errors.js';
import { ReadWindow, type ByteSource } from './source.js';

export interface RiffChunk {
  /** Four-character id as written (latin1), e.g. `fmt `, `data`, `LIST`. */
  readonly id: string;
  /** Byte offset of the 8-byte chunk header. */
  readonly headerOffset: number;
  /** Byte offset of the chunk body. */
  readonly bodyOffset: number;
  /** The size field as written (or the ds64 size for RF64), before any correction. */
  readonly declaredSize: number;
  /** Body bytes actually usable: declared size clipped to the file, or the rest of the file. */
  readonly size: number;
  /** The declared size ran past the end of the file. */
  readonly truncated: boolean;
}

export interface RiffLayout {
  /** 'RIFF', 'RF64' or 'BW64'. */
  readonly form: string;
  readonly chunks: readonly RiffChunk[];
  readonly fileSize: number;
  /** Where walking stopped early because the file ended inside a chunk header, if it did. */
  readonly endedInsideHeaderAt?: number;
  /** Offset at which a chunk id stopped looking like text (a sign of corruption), if any. */
  readonly garbageAt?: number;
  readonly warnings: string[];
}

/** More chunks than this before the audio is not a WAV file anyone wrote on purpose. */
export const MAX_CHUNKS = 10000;
const UNSET_SIZE = 0xffffffff;

/** Renders bytes for a message: printable ASCII as is, anything else as \xNN. */
export function printable(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    s += b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return s;
}

/** Chunk ids WAV writers use, which make a candidate header convincing. */
const KNOWN_IDS = new Set(['fmt ', 'data', 'LIST', 'fact', 'cue ', 'smpl', 'bext', 'id3 ', 'ID3 ', 'JUNK', 'junk', 'PAD ', 'pad ', 'iXML', 'inst', 'plst', 'acid', 'PEAK', 'chna', 'axml', 'FLLR', 'regn', 'umid', 'DISP', 'cart', 'levl', 'minf', 'elm1', 'ds64']);

/** How much the 8 bytes at buf[at] look like a chunk header at file offset `offset` (0: not at all). */
function headerPlausibility(buf: Uint8Array, at: number, offset: number, fileSize: number): number {
  if (!isChunkId(buf, at)) return 0;
  let score = 1;
  const id = String.fromCharCode(buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!);
  if (KNOWN_IDS.has(id)) score += 2;
  if (at + 8 <= buf.length) {
    const size = (buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16)) + buf[at + 7]! * 2 ** 24;
    if (offset + 8 + size <= fileSize) score += 1;
  }
  return score;
}

function isChunkId(buf: Uint8Array, at: number): boolean {
  if (at + 4 > buf.length) return false;
  for (let i = at; i < at + 4; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Validates the 12-byte RIFF header; throws InputFileError in plain words when it is not one. */
function checkHeader(head: Buffer, fileSize: number): string {
  if (fileSize === 0) throw new InputFileError('empty file (0 bytes)');
  const magic = head.subarray(0, 4).toString('latin1');
  const forms = ['RIFF', 'RF64', 'BW64'];
  if (head.length < 12) {
    if (forms.some((f) => f.startsWith(magic))) {
      throw new InputFileError(`header cut short: the file ends after ${fileSize} bytes, inside the RIFF header`);
    }
  }
  if (magic === 'RIFX' || magic === 'FFIR') {
    throw new InputFileError('big-endian WAV (RIFX) is not supported; convert it to little-endian PCM WAV');
  }
  if (!forms.includes(magic)) {
    throw new InputFileError(`not a WAV file (starts with "${printable(head.subarray(0, 4))}")`);
  }
  const formType = head.subarray(8, 12);
  if (formType.toString('latin1') !== 'WAVE') {
    throw new InputFileError(`RIFF file of type "${printable(formType)}" is not WAVE audio`);
  }
  return magic;
}

/**
 * Walks the chunk list. `enough` is asked after each chunk; returning true stops the walk (the
 * WAV reader stops once it has both `fmt ` and `data`).
 */
export async function walkRiff(src: ByteSource, enough: (chunks: readonly RiffChunk[]) => boolean = () => false): Promise<RiffLayout> {
  const fileSize = src.size;
  const reader = new ReadWindow(src);
  const head = await reader.bytes(0, 12);
  const form = checkHeader(head, fileSize);
  const warnings: string[] = [];
  const chunks: RiffChunk[] = [];
  let ds64DataSize: number | undefined;
  let endedInsideHeaderAt: number | undefined;
  let garbageAt: number | undefined;

  let pos = 12;
  while (pos < fileSize) {
    if (chunks.length >= MAX_CHUNKS) {
      throw new InputFileError(`more than ${MAX_CHUNKS} chunks before the audio data (corrupt file)`);
    }
    const header = await reader.bytes(pos, 8);
    if (header.length < 8) {
      endedInsideHeaderAt = pos;
      break;
    }
    if (!isChunkId(header, 0) && garbageAt === undefined) garbageAt = pos;
    const id = header.subarray(0, 4).toString('latin1');
    let declared = header.readUInt32LE(4);
    const bodyOffset = pos + 8;
    const available = fileSize - bodyOffset;

    if (id === 'ds64' && form !== 'RIFF' && declared >= 28 && available >= 28) {
      // RF64/BW64: 64-bit RIFF size, data size, sample count. Only the data size matters.
      const body = await reader.bytes(bodyOffset, 28);
      const size = Number(body.readBigUInt64LE(8));
      if (Number.isSafeInteger(size)) ds64DataSize = size;
    }

    let size: number;
    let truncated = false;
    let toEnd = false;
    if (id === 'data' && declared === UNSET_SIZE && ds64DataSize !== undefined) {
      declared = ds64DataSize;
    } else if (id === 'data' && declared === UNSET_SIZE) {
      toEnd = true;
      warnings.push('data chunk size is unset (0xFFFFFFFF, as streaming writers leave it); using the rest of the file');
    } else if (id === 'data' && declared === 0 && available >= 8) {
      const next = await reader.bytes(bodyOffset, 8);
      if (!isChunkId(next, 0)) {
        toEnd = true;
        warnings.push(`data chunk size is 0 but ${available} bytes follow; assuming a streaming writer and using them`);
      }
    }
    if (toEnd) {
      size = available;
    } else if (declared > available) {
      size = Math.max(0, available);
      truncated = true;
    } else {
      size = declared;
    }
    chunks.push({ id, headerOffset: pos, bodyOffset, declaredSize: declared, size, truncated });
    if (toEnd || truncated || enough(chunks)) break;

    let next = bodyOffset + size;
    if (size % 2 === 1) {
      // Pad byte after an odd-sized chunk, unless the writer forgot it (see module comment).
      const around = await reader.bytes(next, 9);
      if (headerPlausibility(around, 0, next, fileSize) > headerPlausibility(around, 1, next + 1, fileSize)) {
        warnings.push(`${printable(header.subarray(0, 4))} chunk has an odd size and no pad byte`);
      } else {
        next += 1;
      }
    }
    pos = next;
  }
  return { form, chunks, fileSize, endedInsideHeaderAt, garbageAt, warnings };
}
