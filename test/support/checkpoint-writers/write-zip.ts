/**
 * Writes a zip of STORED records the way torch.save (miniz) does: every record's data starts
 * on a 64-byte boundary, padded through an "FB" extra field in the local header. With
 * `zip64`, sizes and offsets go in ZIP64 fields even when small, to exercise readers.
 */
import { crc32 } from '../../../src/checkpoint/zip.js';

export interface ZipRecord {
  readonly name: string;
  /** The record's bytes, possibly in several pieces (large tensors are never concatenated). */
  readonly data: readonly Uint8Array[];
}

const encoder = new TextEncoder();

function crcOf(pieces: readonly Uint8Array[]): number {
  if (pieces.length === 1) return crc32(pieces[0]!);
  const total = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    total.set(p, at);
    at += p.length;
  }
  return crc32(total);
}

class Header {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(at: number, x: number): void {
    this.view.setUint16(at, x, true);
  }
  u32(at: number, x: number): void {
    this.view.setUint32(at, x >>> 0, true);
  }
  u64(at: number, x: number): void {
    this.view.setBigUint64(at, BigInt(x), true);
  }
}

/** The archive as a list of pieces, in order (concatenate or write them out one by one). */
export function zipStored(records: readonly ZipRecord[], options: { zip64?: boolean } = {}): Uint8Array[] {
  const zip64 = options.zip64 ?? false;
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const record of records) {
    const name = encoder.encode(record.name);
    const size = record.data.reduce((n, p) => n + p.length, 0);
    const crc = crcOf(record.data);
    const fixed = 30 + name.length + 4;
    const pad = (64 - ((offset + fixed) % 64)) % 64;
    const local = new Header(fixed + pad);
    local.u32(0, 0x04034b50);
    local.u16(4, zip64 ? 45 : 20);
    local.u16(8, 0); // method: STORED
    local.u32(14, crc);
    local.u32(18, size);
    local.u32(22, size);
    local.u16(26, name.length);
    local.u16(28, 4 + pad);
    local.bytes.set(name, 30);
    local.u16(30 + name.length, 0x4246); // "FB": torch's alignment padding field
    local.u16(32 + name.length, pad);

    const extra = zip64 ? 28 : 0;
    const entry = new Header(46 + name.length + extra);
    entry.u32(0, 0x02014b50);
    entry.u16(4, zip64 ? 45 : 20);
    entry.u16(6, zip64 ? 45 : 20);
    entry.u32(16, crc);
    entry.u32(20, zip64 ? 0xffffffff : size);
    entry.u32(24, zip64 ? 0xffffffff : size);
    entry.u16(28, name.length);
    entry.u16(30, extra);
    entry.u32(42, zip64 ? 0xffffffff : offset);
    entry.bytes.set(name, 46);
    if (zip64) {
      const at = 46 + name.length;
      entry.u16(at, 0x0001);
      entry.u16(at + 2, 24);
      entry.u64(at + 4, size); // uncompressed
      entry.u64(at + 12, size); // compressed
      entry.u64(at + 20, offset);
    }
    central.push(entry.bytes);
    out.push(local.bytes, ...record.data);
    offset += local.bytes.length + size;
  }
  const directoryOffset = offset;
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  out.push(...central);
  if (zip64) {
    const record = new Header(56);
    record.u32(0, 0x06064b50);
    record.u64(4, 44);
    record.u16(12, 45);
    record.u16(14, 45);
    record.u64(24, records.length);
    record.u64(32, records.length);
    record.u64(40, directorySize);
    record.u64(48, directoryOffset);
    const locator = new Header(20);
    locator.u32(0, 0x07064b50);
    locator.u64(8, directoryOffset + directorySize);
    locator.u32(16, 1);
    out.push(record.bytes, locator.bytes);
  }
  const end = new Header(22);
  end.u32(0, 0x06054b50);
  end.u16(8, zip64 ? 0xffff : records.length);
  end.u16(10, zip64 ? 0xffff : records.length);
  end.u32(12, zip64 ? 0xffffffff : directorySize);
  end.u32(16, zip64 ? 0xffffffff : directoryOffset);
  out.push(end.bytes);
  return out;
}
