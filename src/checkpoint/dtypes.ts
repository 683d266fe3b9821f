/**
 * Element types found in checkpoints, their sizes, and decoding of raw little- or big-endian
 * bytes to float32 (the only type the engine consumes). Half and bfloat16 widen exactly.
 */
import { CheckpointError } from '../errors.js';

export type DType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'float8_e4m3'
  | 'float8_e5m2';

export const ELEMENT_SIZE: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
  float8_e4m3: 1,
  float8_e5m2: 1,
};

/** torch.<Name>Storage classes (pickled as the storage type of a persistent id). */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** safetensors dtype names. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
  F8_E4M3: 'float8_e4m3',
  F8_E5M2: 'float8_e5m2',
};

const DECODABLE = new Set<DType>(['float32', 'float16', 'bfloat16', 'float64']);

export function isDecodableFloat(dtype: DType): boolean {
  return DECODABLE.has(dtype);
}

let halfTable: Float32Array | undefined;

/** All 65536 half-precision values, built once: a lookup beats bit twiddling per element. */
function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = table;
  return table;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (exactly count * size bytes, any alignment)
 * into `out` starting at `at`.
 */
export function decodeInto(bytes: Uint8Array, dtype: DType, littleEndian: boolean, out: Float32Array, at: number, count: number): void {
  const size = ELEMENT_SIZE[dtype];
  if (bytes.byteLength !== count * size || at + count > out.length) {
    throw new CheckpointError(`internal: ${count} ${dtype} elements need ${count * size} bytes, got ${bytes.byteLength}`);
  }
  const aligned = bytes.byteOffset % size === 0;
  switch (dtype) {
    case 'float32': {
      if (littleEndian && aligned) {
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count), at);
      } else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < count; i++) out[at + i] = view.getFloat32(i * 4, littleEndian);
      }
      return;
    }
    case 'float64': {
      if (littleEndian && aligned) {
        out.set(new Float64Array(bytes.buffer, bytes.byteOffset, count), at);
      } else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < count; i++) out[at + i] = view.getFloat64(i * 8, littleEndian);
      }
      return;
    }
    case 'float16': {
      const table = halfToFloat();
      if (littleEndian && aligned) {
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
        for (let i = 0; i < count; i++) out[at + i] = table[src[i]!]!;
      } else {
        const lo = littleEndian ? 0 : 1;
        const hi = 1 - lo;
        for (let i = 0; i < count; i++) out[at + i] = table[bytes[2 * i + lo]! | (bytes[2 * i + hi]! << 8)]!;
      }
      return;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: shift its bits into place.
      const bits = new Uint32Array(out.buffer, out.byteOffset + at * 4, count);
      const lo = littleEndian ? 0 : 1;
      const hi = 1 - lo;
      for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i + lo]! | (bytes[2 * i + hi]! << 8)) << 16) >>> 0;
      return;
    }
    default:
      throw new CheckpointError(`cannot use ${dtype} values as discriminator weights (expected a floating-point type)`);
  }
}

/**
 * Decodes `count` elements into a new array. With `mayAlias`, float32 little-endian data that
 * is aligned is returned as a view of `bytes` (callers pass buffers they own: saves a copy).
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: DType, littleEndian: boolean, count: number, mayAlias = false): Float32Array {
  if (mayAlias && canAlias(bytes, dtype, littleEndian)) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  decodeInto(bytes, dtype, littleEndian, out, 0, count);
  return out;
}

export function canAlias(bytes: Uint8Array, dtype: DType, littleEndian: boolean): boolean {
  return dtype === 'float32' && littleEndian && bytes.byteOffset % 4 === 0;
}
