/** float32 values to the byte layouts checkpoints store (used by the fixture writers). */
import type { DType } from '../../../src/checkpoint/dtypes.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision, round to nearest even (what `tensor.half()` does). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** bfloat16: the top 16 bits of the float32, round to nearest even. */
export function toBfloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if (Number.isNaN(x)) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export type FloatDType = Extract<DType, 'float32' | 'float16' | 'bfloat16' | 'float64'>;

/** Encodes values as `dtype`; float32 little-endian data is returned without a copy. */
export function encodeFloats(values: Float32Array, dtype: FloatDType, littleEndian = true): Uint8Array {
  if (dtype === 'float32' && littleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const size = dtype === 'float64' ? 8 : dtype === 'float32' ? 4 : 2;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (dtype === 'float64') view.setFloat64(i * 8, x, littleEndian);
    else if (dtype === 'float32') view.setFloat32(i * 4, x, littleEndian);
    else view.setUint16(i * 2, dtype === 'float16' ? toHalfBits(x) : toBfloat16Bits(x), littleEndian);
  }
  return out;
}
