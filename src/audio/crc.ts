/**
 * The three checksums the compressed formats carry, all MSB-first with initial value 0 and no
 * final XOR: FLAC's CRC-8 (poly 0x07, frame headers) and CRC-16 (poly 0x8005, whole frames),
 * and Ogg's CRC-32 (poly 0x04C11DB7, pages). Table-driven: the scans run them over every byte
 * of a file, so they must be cheap.
 */

function table(bits: 8 | 16 | 32, poly: number): Uint32Array {
  const top = 2 ** (bits - 1);
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = (i * 2 ** (bits - 8)) >>> 0;
    for (let k = 0; k < 8; k++) c = (c & top ? ((c * 2) ^ poly) & mask : (c * 2) & mask) >>> 0;
    t[i] = c;
  }
  return t;
}

const CRC8 = table(8, 0x07);
const CRC16 = table(16, 0x8005);
const CRC32 = table(32, 0x04c11db7);

export function crc8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0;
  for (let i = start; i < end; i++) c = CRC8[c ^ bytes[i]!]!;
  return c;
}

/** One CRC-16 step: the running value after `byte`. */
export function crc16Step(c: number, byte: number): number {
  return ((c << 8) & 0xffff) ^ CRC16[(c >> 8) ^ byte]!;
}

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length, c = 0): number {
  for (let i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ CRC16[(c >> 8) ^ bytes[i]!]!;
  return c;
}

/** Ogg's page checksum over `bytes[start, end)`, continuing from `c`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, c = 0): number {
  for (let i = start; i < end; i++) c = ((c << 8) ^ CRC32[((c >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return c;
}
