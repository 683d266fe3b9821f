/**
 * Just enough of the ZIP format for torch's archives: the (ZIP64-capable) central directory
 * and local headers of STORED records. Only the directory is read up front; a record's local
 * header is read when that record is needed, so unused records (optimizer state) cost nothing.
 */
import * as zlib from 'node:zlib';
import { CheckpointError } from '../errors.js';
import { LIMITS } from './limits.js';
import type { ByteSource } from './source.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

function damaged(message: string): CheckpointError {
  return new CheckpointError(`checkpoint zip archive is damaged: ${message}`);
}

function u64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('a ZIP64 size or offset is out of range');
  return Number(value);
}

interface Directory {
  readonly entries: number;
  readonly size: number;
  readonly offset: number;
}

async function findDirectory(source: ByteSource): Promise<Directory> {
  if (source.size < 22) throw damaged(`only ${source.size} bytes, too short for a zip archive`);
  // The end record is the last 22 bytes unless the archive has a comment (up to 64 KiB):
  // look there first, so that bytes of the records before it are not read for nothing.
  const last = await source.read(source.size - 22, 22, 'the zip end record');
  const plain = new DataView(last.buffer).getUint32(0, true) === EOCD && new DataView(last.buffer).getUint16(20, true) === 0;
  const tailStart = plain ? source.size - 22 : Math.max(0, source.size - 22 - MAX16);
  const tail = plain ? last : await source.read(tailStart, source.size - tailStart, 'the zip end record');
  const view = new DataView(tail.buffer);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD && i + 22 + view.getUint16(i + 20, true) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw damaged('no end-of-central-directory record (truncated file?)');
  let entries = view.getUint16(at + 10, true);
  let size = view.getUint32(at + 12, true);
  let offset = view.getUint32(at + 16, true);
  if (entries === MAX16 || size === MAX32 || offset === MAX32) {
    const locatorAt = tailStart + at - 20;
    if (locatorAt < 0) throw damaged('ZIP64 locator missing');
    const locator = new DataView((await source.read(locatorAt, 20, 'the ZIP64 locator')).buffer);
    if (locator.getUint32(0, true) !== ZIP64_LOCATOR) throw damaged('ZIP64 locator missing');
    const recordAt = u64(locator, 8);
    const record = new DataView((await source.read(recordAt, 56, 'the ZIP64 end record')).buffer);
    if (record.getUint32(0, true) !== ZIP64_EOCD) throw damaged('ZIP64 end record missing');
    entries = u64(record, 32);
    size = u64(record, 40);
    offset = u64(record, 48);
  }
  if (entries > LIMITS.maxZipEntries) throw damaged(`${entries} entries is more than a checkpoint has`);
  if (size > LIMITS.maxCentralDirectoryBytes || offset + size > source.size) {
    throw damaged(`central directory (${size} bytes at ${offset}) lies outside the ${source.size}-byte file`);
  }
  return { entries, size, offset };
}

const names = new TextDecoder('utf-8');

/** Reads the central directory. */
export async function readZipDirectory(source: ByteSource): Promise<ZipEntry[]> {
  const dir = await findDirectory(source);
  const bytes = await source.read(dir.offset, dir.size, 'the zip central directory');
  const view = new DataView(bytes.buffer);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < dir.entries; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) throw damaged(`central directory entry ${n} is corrupt`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > bytes.length) throw damaged(`central directory entry ${n} runs past the directory`);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    // ZIP64 extended information: the 64-bit values of whichever fields are saturated, in order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = view.getUint16(e, true);
      const length = view.getUint16(e + 2, true);
      if (e + 4 + length > at + 46 + nameLength + extraLength) throw damaged(`entry ${n} has a corrupt extra field`);
      if (id === 0x0001) {
        let p = e + 4;
        const field = (value: number): number => {
          if (value !== MAX32) return value;
          if (p + 8 > e + 4 + length) throw damaged(`entry ${n} has a short ZIP64 field`);
          const wide = u64(view, p);
          p += 8;
          return wide;
        };
        size = field(size);
        compressedSize = field(compressedSize);
        localHeaderOffset = field(localHeaderOffset);
      }
      e += 4 + length;
    }
    // Every entry's local header must lie in the file: a directory pointing outside it is
    // damage, said here rather than when (or if) the entry is read (found by fuzzing).
    if (localHeaderOffset + 30 > source.size) {
      throw damaged(`central directory entry ${n} puts its record at byte ${localHeaderOffset}, past the end of the ${source.size}-byte file`);
    }
    entries.push({
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize,
      size,
      localHeaderOffset,
    });
    at = next;
  }
  return entries;
}

/** Absolute offset of an entry's data (after its local header), validated against the file. */
export async function entryDataOffset(source: ByteSource, entry: ZipEntry): Promise<number> {
  if (entry.flags & 1) throw damaged(`record "${entry.name}" is encrypted`);
  if (entry.method !== 0 || entry.compressedSize !== entry.size) {
    throw new CheckpointError(
      `checkpoint record "${entry.name}" is compressed (method ${entry.method}); torch.save writes uncompressed archives, so this file was repacked or is damaged`,
    );
  }
  const header = new DataView((await source.read(entry.localHeaderOffset, 30, `the local header of "${entry.name}"`)).buffer);
  if (header.getUint32(0, true) !== LOCAL) throw damaged(`local header of "${entry.name}" is missing`);
  const start = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + entry.size > source.size) {
    throw damaged(`record "${entry.name}" (${entry.size} bytes at ${start}) runs past the end of the ${source.size}-byte file`);
  }
  return start;
}

let table: Uint32Array | undefined;

/** CRC-32 (zlib's when this Node has it, else a table-driven one). */
export function crc32(bytes: Uint8Array): number {
  // zlib.crc32 arrived in Node 20.15; `engines` allows older 20.x, hence the fallback.
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(bytes) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
