/**
 * Folds weight norm and spectral norm into effective conv weights, as PyTorch computes them
 * in eval mode. Sums run in float64; results are stored as float32.
 *
 * | stored keys under `<conv>.`                                   | effective weight          |
 * |---------------------------------------------------------------|---------------------------|
 * | `weight`                                                      | as is                     |
 * | `weight_g`, `weight_v` (legacy weight_norm)                   | g * v / ||v|| per out ch. |
 * | `parametrizations.weight.original0/1` (torch >= 2.1)          | same, g = original0       |
 * | `weight_orig`, `weight_u`, `weight_v` (legacy spectral_norm)  | W / (u . W_mat v)         |
 * | `parametrizations.weight.original`, `...weight.0._u/_v`       | same                      |
 * `weight_v` means v of weight norm unless `weight_orig`/`weight_u` are present.
 */
import { CheckpointError } from '../errors.js';
import type { Float32Tensor } from '../model/types.js';
import type { RowHook } from './tensor.js';

export type NormForm = 'plain' | 'weight-norm' | 'weight-norm-parametrizations' | 'spectral-norm' | 'spectral-norm-parametrizations';

const FORMS: Readonly<Record<NormForm, readonly string[]>> = {
  'spectral-norm': ['weight_orig', 'weight_u', 'weight_v'],
  'spectral-norm-parametrizations': ['parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v'],
  'weight-norm': ['weight_g', 'weight_v'],
  'weight-norm-parametrizations': ['parametrizations.weight.original0', 'parametrizations.weight.original1'],
  plain: ['weight'],
};

/** Every suffix a conv's weight may be stored under, in any form (for the unused-key check). */
export const WEIGHT_SUFFIXES: readonly string[] = [...new Set(Object.values(FORMS).flat())];

/** Index in FORMS[form] of the tensor whose shape is the effective weight's shape. */
export const SHAPE_TENSOR: Readonly<Record<NormForm, number>> = {
  plain: 0,
  'weight-norm': 1,
  'weight-norm-parametrizations': 1,
  'spectral-norm': 0,
  'spectral-norm-parametrizations': 0,
};

/** Keys that identify a form (weight_v alone is shared by both legacy norms). */
const MARKERS: Readonly<Record<NormForm, readonly string[]>> = {
  'spectral-norm': ['weight_orig', 'weight_u'],
  'spectral-norm-parametrizations': ['parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v'],
  'weight-norm': ['weight_g', 'weight_v'],
  'weight-norm-parametrizations': ['parametrizations.weight.original0', 'parametrizations.weight.original1'],
  plain: ['weight'],
};

export interface ConvWeightSource {
  readonly form: NormForm;
  /** Full key names of the stored tensors, in the order of FORMS[form]. */
  readonly keys: readonly string[];
}

/** Which stored tensors make up `<base>.weight`; undefined when there are none. */
export function findWeightSource(has: (key: string) => boolean, base: string): ConvWeightSource | undefined {
  const present = (Object.keys(FORMS) as NormForm[]).filter((form) => MARKERS[form].some((s) => has(`${base}.${s}`)));
  // weight_v next to weight_orig/weight_u belongs to spectral norm, not to a weight norm.
  const forms = present.includes('spectral-norm') && !has(`${base}.weight_g`) ? present.filter((f) => f !== 'weight-norm') : present;
  if (forms.length === 0) return undefined;
  if (forms.length > 1) {
    throw new CheckpointError(
      `"${base}" is stored in more than one way (${forms.map((f) => FORMS[f].map((s) => `${base}.${s}`).join(' + ')).join('; ')}); cannot tell which is current`,
    );
  }
  const form = forms[0]!;
  const keys = FORMS[form].map((s) => `${base}.${s}`);
  const missing = keys.filter((k) => !has(k));
  if (missing.length > 0) {
    throw new CheckpointError(`"${keys.find((k) => has(k))}" is present but "${missing[0]}" is missing (${form} needs ${keys.map((k) => `"${k}"`).join(', ')})`);
  }
  return { form, keys };
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Output channels and elements per channel of a conv weight, after checking its rank. */
function rows(tensor: Float32Tensor, name: string): [number, number] {
  const out = tensor.shape[0] ?? 0;
  if (tensor.shape.length < 2 || out === 0) throw new CheckpointError(`"${name}" has shape ${shapeText(tensor.shape)}, expected [out, in/groups, *kernel]`);
  return [out, tensor.data.length / out];
}

/**
 * Weight norm as a row hook: w = g * v / ||v||, the norm over every axis but the first (torch's
 * default dim=0), applied in place to each output channel's row of v. Float64 sums. The result
 * is finite whenever g is (|w| <= |g| elementwise), which is checked here.
 */
export function weightNormRows(g: Float32Tensor, vShape: readonly number[], names: { g: string; v: string }): RowHook {
  const out = vShape[0] ?? 0;
  if (vShape.length < 2 || out === 0) throw new CheckpointError(`"${names.v}" has shape ${shapeText(vShape)}, expected [out, in/groups, *kernel]`);
  const gOk = g.data.length === out && g.shape[0] === out && g.shape.slice(1).every((d) => d === 1);
  if (!gOk) {
    throw new CheckpointError(`"${names.g}" has shape ${shapeText(g.shape)}, expected ${shapeText([out, ...vShape.slice(1).map(() => 1)])}`);
  }
  return (w, o, start, end) => {
    // Four partial sums: same float64 accuracy, shorter dependency chains.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = start;
    for (; j + 3 < end; j += 4) {
      const a = w[j]!;
      const b = w[j + 1]!;
      const c = w[j + 2]!;
      const d = w[j + 3]!;
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; j < end; j++) s0 += w[j]! * w[j]!;
    const norm = Math.sqrt(s0 + s1 + s2 + s3);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new CheckpointError(`"${names.v}" has ${norm === 0 ? 'an all-zero' : 'a non-finite'} row for output channel ${o}; its weight norm is undefined`);
    }
    const gain = g.data[o]!;
    if (!Number.isFinite(gain)) throw new CheckpointError(`"${names.g}" contains ${Number.isNaN(gain) ? 'NaN' : 'infinite'} values (element ${o})`);
    const scale = gain / norm;
    for (let k = start; k < end; k++) w[k] = w[k]! * scale;
  };
}

/** Weight norm of whole tensors; writes over `v.data` (callers pass tensors they own). */
export function foldWeightNorm(g: Float32Tensor, v: Float32Tensor, names: { g: string; v: string }): Float32Tensor {
  const hook = weightNormRows(g, v.shape, names);
  const out = v.shape[0]!;
  const per = v.data.length / out;
  for (let o = 0; o < out; o++) hook(v.data, o, o * per, (o + 1) * per);
  return v;
}

/** W = W_orig / sigma, sigma = u . (W_mat v), W_mat = W_orig reshaped to [out, -1]. */
export function foldSpectralNorm(weight: Float32Tensor, u: Float32Tensor, v: Float32Tensor, names: { weight: string; u: string; v: string }): Float32Tensor {
  const [out, per] = rows(weight, names.weight);
  if (u.data.length !== out || u.shape.length !== 1) throw new CheckpointError(`"${names.u}" has shape ${shapeText(u.shape)}, expected [${out}]`);
  if (v.data.length !== per || v.shape.length !== 1) throw new CheckpointError(`"${names.v}" has shape ${shapeText(v.shape)}, expected [${per}]`);
  const w = weight.data;
  let sigma = 0;
  for (let o = 0; o < out; o++) {
    let dot = 0;
    for (let j = 0; j < per; j++) dot += w[o * per + j]! * v.data[j]!;
    sigma += u.data[o]! * dot;
  }
  if (sigma === 0 || !Number.isFinite(sigma)) {
    throw new CheckpointError(`spectral norm of "${names.weight}" is ${sigma}; weight_u/weight_v are damaged`);
  }
  const result = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) result[i] = w[i]! / sigma;
  return { shape: weight.shape, data: result };
}

/** Combines the stored tensors of one conv weight into its effective weight. */
export function foldWeight(source: ConvWeightSource, tensors: readonly Float32Tensor[]): Float32Tensor {
  const [a, b, c] = tensors;
  const [ka, kb, kc] = source.keys;
  switch (source.form) {
    case 'plain':
      return a!;
    case 'weight-norm':
    case 'weight-norm-parametrizations':
      return foldWeightNorm(a!, b!, { g: ka!, v: kb! });
    case 'spectral-norm':
    case 'spectral-norm-parametrizations':
      return foldSpectralNorm(a!, b!, c!, { weight: ka!, u: kb!, v: kc! });
  }
}

/** Non-finite weights would turn every score into NaN; say so at load time instead. */
export function checkFinite(name: string, tensor: Float32Tensor): void {
  const { data } = tensor;
  // x * 0 is 0 for finite x and NaN otherwise: one branch-free pass, then find the culprit.
  let probe = 0;
  for (let i = 0; i < data.length; i++) probe += data[i]! * 0;
  if (probe === 0) return;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) {
      throw new CheckpointError(`"${name}" contains ${Number.isNaN(x) ? 'NaN' : 'infinite'} values (element ${i}); the checkpoint is damaged or its training diverged`);
    }
  }
}
