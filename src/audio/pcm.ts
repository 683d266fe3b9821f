/**
 * Sample conversion: raw WAV data bytes (whole frames) -> mono float samples.
 *
 * node-wav is the project's decoder for PCM and float data. It only decodes whole in-memory
 * files, so each block is handed to it as a canonical WAV (44-byte header + the block). This
 * wrapper corrects what node-wav gets wrong or does not do:
 *
 * 1. Scaling. node-wav divides negative integers by 2^(n-1) but positive ones by 2^(n-1)-1.
 *    soundfile, torchaudio and the golden fixtures use 1/2^(n-1) for both signs (int16/32768),
 *    and golden parity needs that bit for bit. A positive value cannot be repaired after the
 *    fact for 32-bit data (float32 has already rounded it), so positive samples are negated in
 *    the copy handed to node-wav, decoded through its exact negative branch, and negated back:
 *    IEEE rounding is symmetric, so the result is exactly fround(d / 2^(n-1)).
 * 2. 24-bit minimum. Its 24-bit decoder tests `xx > 0x800000` instead of `>=`, so 0x800000
 *    (-8388608) comes out as +8388608/8388607 = +1.0000001. Those samples are set to -1.
 * 3. Alignment. It builds Int16Array/Int32Array/Float32Array/Float64Array views over the
 *    buffer's whole ArrayBuffer at the data offset without a length, which throws RangeError
 *    when that offset is not a multiple of the element size (Node's pooled Buffers, float64
 *    data at byte 44) or the remaining length is not a multiple of it. The canonical WAV is
 *    therefore built in its own ArrayBuffer with the data at byte 48 (4 bytes of lead-in) and
 *    nothing after the last whole frame.
 * 4. WAVE_FORMAT_EXTENSIBLE, A-law and µ-law: it rejects them. The fmt parser maps extensible
 *    files to their subformat before we get here, and G.711 is expanded with our own tables.
 * 5. A missing data chunk makes it return undefined; the canonical WAV always has one, and the
 *    result is checked anyway.
 */
import nodeWav from 'node-wav';
import { ALAW_TABLE, MULAW_TABLE } from './g711.js';
import type { Codec } from './wav-format.js';

/** Offset of the data in the canonical WAV's ArrayBuffer: 4 lead-in bytes + 44 header bytes. */
const LEAD_IN = 4;
const DATA_AT = LEAD_IN + 44;

const NODE_WAV_LAYOUT: Partial<Record<Codec, { bits: number; float: boolean }>> = {
  pcm8: { bits: 8, float: false },
  pcm16: { bits: 16, float: false },
  pcm24: { bits: 24, float: false },
  pcm32: { bits: 32, float: false },
  float32: { bits: 32, float: true },
  float64: { bits: 64, float: true },
};

/** Per-sample fix-ups after node-wav: 1 = negate back (was positive), 2 = 24-bit minimum. */
const NEGATE = 1;
const MINUS_ONE = 2;

/** Negates the positive samples of `s` in place; returns their marks (NEGATE), one per sample. */
function negatePositive(s: Int16Array | Int32Array): Uint8Array {
  const fix = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const d = s[i]!;
    if (d > 0) {
      s[i] = -d;
      fix[i] = NEGATE;
    }
  }
  return fix;
}

/**
 * Copies `raw` into a canonical WAV, negating positive integer samples (see module comment),
 * and returns the ArrayBuffer with the per-sample fix-up marks.
 */
function canonicalWav(raw: Uint8Array, codec: Codec, channels: number): { wav: Buffer; fix: Uint8Array | null } {
  const layout = NODE_WAV_LAYOUT[codec]!;
  const bytes = layout.bits / 8;
  const ab = new ArrayBuffer(DATA_AT + raw.length);
  const head = new DataView(ab, LEAD_IN, 44);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) head.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  head.setUint32(4, 36 + raw.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  head.setUint32(16, 16, true);
  head.setUint16(20, layout.float ? 3 : 1, true);
  head.setUint16(22, channels, true);
  head.setUint32(24, 1, true); // the rate is irrelevant to the conversion
  head.setUint32(28, channels * bytes, true);
  head.setUint16(32, channels * bytes, true);
  head.setUint16(34, layout.bits, true);
  ascii(36, 'data');
  head.setUint32(40, raw.length, true);
  const data = new Uint8Array(ab, DATA_AT, raw.length);
  data.set(raw);

  let fix: Uint8Array | null = null;
  const n = raw.length / bytes;
  switch (codec) {
    case 'pcm8': {
      // Unsigned: d = u - 128. Positive d (u > 128) becomes 256 - u, i.e. -d.
      fix = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const u = data[i]!;
        if (u > 128) {
          data[i] = 256 - u;
          fix[i] = NEGATE;
        }
      }
      break;
    }
    case 'pcm16':
      fix = negatePositive(new Int16Array(ab, DATA_AT, n));
      break;
    case 'pcm24': {
      fix = new Uint8Array(n);
      for (let i = 0, p = 0; i < n; i++, p += 3) {
        const u = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16);
        if (u === 0x800000) {
          fix[i] = MINUS_ONE;
        } else if (u > 0 && u < 0x800000) {
          const neg = 0x1000000 - u;
          data[p] = neg & 0xff;
          data[p + 1] = (neg >> 8) & 0xff;
          data[p + 2] = (neg >> 16) & 0xff;
          fix[i] = NEGATE;
        }
      }
      break;
    }
    case 'pcm32':
      fix = negatePositive(new Int32Array(ab, DATA_AT, n));
      break;
    default:
      break; // float data passes through node-wav unchanged
  }
  return { wav: Buffer.from(ab, LEAD_IN, 44 + raw.length), fix };
}

function decodeWithNodeWav(raw: Uint8Array, codec: Codec, channels: number, frames: number, out: Float32Array, outOffset: number): void {
  const { wav, fix } = canonicalWav(raw, codec, channels);
  const decoded = nodeWav.decode(wav) as ReturnType<typeof nodeWav.decode> | undefined;
  const channelData = decoded?.channelData;
  if (!channelData || channelData.length !== channels || channelData[0]!.length !== frames) {
    throw new Error(`node-wav returned an unexpected result for a ${codec} block`); // a bug here, not the file
  }
  if (channels === 1) {
    const ch = channelData[0]!;
    out.set(ch, outOffset);
    if (fix) {
      for (let i = 0; i < frames; i++) {
        const f = fix[i]!;
        if (f !== 0) out[outOffset + i] = f === NEGATE ? -ch[i]! : -1;
      }
    }
    return;
  }
  // Mono = plain average of the channels, summed in double precision.
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      let v = channelData[c]![i]!;
      if (fix) {
        const f = fix[i * channels + c]!;
        if (f === NEGATE) v = -v;
        else if (f === MINUS_ONE) v = -1;
      }
      sum += v;
    }
    out[outOffset + i] = sum / channels;
  }
}

function decodeG711(raw: Uint8Array, table: Float32Array, channels: number, frames: number, out: Float32Array, outOffset: number): void {
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[outOffset + i] = table[raw[i]!]!;
    return;
  }
  for (let i = 0, p = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += table[raw[p++]!]!;
    out[outOffset + i] = sum / channels;
  }
}

/**
 * Decodes `frames` whole frames of `raw` into mono samples at `out[outOffset...]`.
 * Returns the index (within this block) of the first NaN/infinite sample, or -1.
 */
export function decodeFrames(raw: Uint8Array, codec: Codec, channels: number, frames: number, out: Float32Array, outOffset: number): number {
  if (frames === 0) return -1;
  if (codec === 'alaw') decodeG711(raw, ALAW_TABLE, channels, frames, out, outOffset);
  else if (codec === 'mulaw') decodeG711(raw, MULAW_TABLE, channels, frames, out, outOffset);
  else decodeWithNodeWav(raw, codec, channels, frames, out, outOffset);
  if (codec === 'float32' || codec === 'float64') {
    // Only float data can hold NaN/Inf (a float64 beyond float32 range also lands here).
    for (let i = 0; i < frames; i++) {
      const v = out[outOffset + i]!;
      if (v - v !== 0) return i; // NaN or ±Inf
    }
  }
  return -1;
}
