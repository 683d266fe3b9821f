/**
 * Hostile audio made at test time (nothing binary is committed): FLAC streams of CONSTANT
 * subframes, which cost a few bytes per frame whatever the block size and so decode to minutes
 * per kilobyte, and Ogg pages rewritten with their checksum fixed.
 */
import { crc16, crc32, crc8 } from '../../src/audio/crc.js';

export interface ConstantFlac {
  /** STREAMINFO's sample rate (20 bits: up to 1,048,575). */
  readonly sampleRate: number;
  readonly blockSize: number;
  readonly frames: number;
  readonly channels?: number;
  /** The 16-bit value every sample holds. */
  readonly value?: number;
  /** STREAMINFO's total samples (default: what the frames hold). */
  readonly totalSamples?: number;
}

function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 63)];
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 63), 0x80 | (n & 63)];
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 63), 0x80 | ((n >> 6) & 63), 0x80 | (n & 63)];
}

/** A valid 16-bit FLAC stream of `frames` fixed-size frames of CONSTANT subframes. */
export function constantFlac(spec: ConstantFlac): Buffer {
  const channels = spec.channels ?? 1;
  const value = spec.value ?? 0;
  const total = spec.totalSamples ?? spec.frames * spec.blockSize;
  const info = Buffer.alloc(34);
  info.writeUInt16BE(spec.blockSize, 0);
  info.writeUInt16BE(spec.blockSize, 2);
  // rate (20 bits), channels - 1 (3), bits - 1 (5), total samples (36)
  info[10] = (spec.sampleRate >> 12) & 0xff;
  info[11] = (spec.sampleRate >> 4) & 0xff;
  info[12] = ((spec.sampleRate & 15) << 4) | ((channels - 1) << 1) | 0;
  info[13] = (15 << 4) | Math.floor(total / 2 ** 32);
  info.writeUInt32BE(total % 2 ** 32, 14);
  const parts: Buffer[] = [Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info];
  for (let k = 0; k < spec.frames; k++) {
    // Block size in 16 bits after the number (code 7), rate from STREAMINFO (code 0), 16 bits (code 4).
    const head = [0xff, 0xf8, 0x70, ((channels - 1) << 4) | (4 << 1), ...utf8Number(k), (spec.blockSize - 1) >> 8, (spec.blockSize - 1) & 0xff];
    head.push(crc8(Uint8Array.from(head)));
    const body: number[] = [];
    for (let c = 0; c < channels; c++) body.push(0x00, (value >> 8) & 0xff, value & 0xff);
    const frame = Buffer.from([...head, ...body, 0, 0]);
    frame.writeUInt16BE(crc16(frame, 0, frame.length - 2), frame.length - 2);
    parts.push(frame);
  }
  return Buffer.concat(parts);
}

/** Byte offsets of the Ogg pages in `b`, with their lengths. */
export function oggPages(b: Buffer): { offset: number; length: number }[] {
  const pages: { offset: number; length: number }[] = [];
  for (let p = 0; p + 27 <= b.length; ) {
    if (b.toString('latin1', p, p + 4) !== 'OggS') throw new Error(`no Ogg page at ${p}`);
    const segments = b[p + 26]!;
    let body = 0;
    for (let i = 0; i < segments; i++) body += b[p + 27 + i]!;
    const length = 27 + segments + body;
    pages.push({ offset: p, length });
    p += length;
  }
  return pages;
}

/** Recomputes the checksum of the Ogg page at `offset` after its bytes were changed. */
export function fixOggCrc(b: Buffer, page: { offset: number; length: number }): void {
  b.writeUInt32LE(0, page.offset + 22);
  b.writeUInt32LE(crc32(b, page.offset, page.offset + page.length) >>> 0, page.offset + 22);
}
