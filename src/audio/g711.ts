/**
 * G.711 A-law and µ-law expansion (node-wav has neither). Tables are built once from the
 * reference algorithm (ITU-T G.711, as in Sun's public-domain g711.c that libsndfile and sox
 * follow): each 8-bit code expands to a 16-bit linear value, which is then scaled by 1/32768
 * like any 16-bit PCM, so a-law/µ-law decode to the same floats as soundfile gives.
 */

/** A-law code -> 16-bit linear value. */
export function alawToLinear(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** µ-law code -> 16-bit linear value. */
export function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const BIAS = 0x84;
  let t = ((u & 0x0f) << 3) + BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? BIAS - t : t - BIAS;
}

function table(expand: (code: number) => number): Float32Array {
  const out = new Float32Array(256);
  for (let c = 0; c < 256; c++) out[c] = expand(c) / 32768;
  return out;
}

/** Code -> float sample, linear/32768. */
export const ALAW_TABLE: Float32Array = table(alawToLinear);
export const MULAW_TABLE: Float32Array = table(mulawToLinear);
