/**
 * Deterministic untrained weights, bit-for-bit as ../shared/golden/README.md specifies, so a
 * run without a checkpoint gives the same numbers on every machine and in PyTorch.
 */
import { derivedBuffers } from './cqt-kernels.js';
import { convEntries } from './keys.js';
import type { ConvLayer, FamilySpec, Float32Tensor } from './types.js';

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * 32-bit integer multiply (Math.imul) spelled out in arithmetic. V8 only inlines Math.imul for
 * code of the same realm; under a test runner's VM realm the builtin call made initialising a
 * full-size model 100x slower (12 s instead of 0.1 s). This form is fast everywhere.
 */
function imul32(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = (a >>> 16) & 0xffff;
  return (aLow * b + (((aHigh * b) & 0xffff) << 16)) | 0;
}

/**
 * Fills `out` with outputs 1..n of mulberry32 (counter form) started at `seed`: u in [0, 1),
 * or (2u − 1)·bound when `bound` is given (the golden init's uniform weights). The mapping is
 * written into the loop: a full-size model has tens of millions of weights, and a per-value
 * callback was half of the untrained start-up (measured).
 */
export function mulberry32Fill(seed: number, out: Float64Array | Float32Array, bound?: number): void {
  let state = seed >>> 0;
  for (let j = 0; j < out.length; j++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul32(t ^ (t >>> 15), t | 1);
    t ^= t + imul32(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[j] = bound === undefined ? u : (2 * u - 1) * bound;
  }
}

/** Uniform(-bound, bound) tensor for `key`, bound = 1/sqrt(fan_in), as the golden init defines. */
export function initTensor(key: string, shape: readonly number[], fanIn: number, baseSeed: number): Float32Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  mulberry32Fill((fnv1a32(key) ^ baseSeed) >>> 0, data, 1 / Math.sqrt(fanIn));
  return { shape, data };
}

type TensorMaker = (key: string, shape: readonly number[], fanIn: number, baseSeed: number) => Float32Tensor;

function convTensors(prefix: string, conv: ConvLayer, baseSeed: number, make: TensorMaker): [string, Float32Tensor][] {
  const perGroup = conv.in / conv.groups;
  const fanIn = perGroup * conv.kernel.reduce((a, b) => a * b, 1);
  const weightShape = [conv.out, perGroup, ...conv.kernel];
  return [
    [`${prefix}.weight`, make(`${prefix}.weight`, weightShape, fanIn, baseSeed)],
    [`${prefix}.bias`, make(`${prefix}.bias`, [conv.out], fanIn, baseSeed)],
  ];
}

function familyWeights(family: FamilySpec, baseSeed: number, make: TensorMaker): Map<string, Float32Tensor> {
  const weights = new Map<string, Float32Tensor>();
  for (const sub of family.subs) {
    for (const entry of convEntries(sub)) {
      for (const [k, v] of convTensors(entry.base, entry.layer, baseSeed, make)) weights.set(k, v);
    }
    // Transform buffers (BigVGAN v2's CQT kernels) are not weights: derived, never random.
    for (const [k, v] of derivedBuffers(sub, family.sampleRate)) weights.set(k, v);
  }
  return weights;
}

/** Untrained effective weights for every conv of `family`, at its full upstream widths, and its derived transform buffers. */
export function untrainedWeights(family: FamilySpec, baseSeed = 0): Map<string, Float32Tensor> {
  return familyWeights(family, baseSeed, initTensor);
}

/**
 * The same weights with their shapes known at once and their values computed each time `data`
 * is read, and never kept: a session loaded from the session cache never reads them (saving
 * the init and its memory), and a graph being built holds each only until it is serialised.
 */
export function lazyUntrainedWeights(family: FamilySpec, baseSeed = 0): Map<string, Float32Tensor> {
  return familyWeights(family, baseSeed, (key, shape, fanIn, seed) => ({
    shape,
    get data() {
      return initTensor(key, shape, fanIn, seed).data;
    },
  }));
}
