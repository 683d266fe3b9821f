/**
 * Reads channel widths and groups off a set of weights and checks them against the family's
 * layer table. Kernels, strides, paddings, slopes, periods and STFT resolutions always come
 * from the family: checkpoints do not store them.
 */
import { CheckpointError } from '../errors.js';
import { bandCount, bufferKeys, convEntries, convKey, CQT_BUFFERS, postKey, preKey } from './keys.js';
import type { ChunkConvs, ConvLayer, FamilySpec, ResolvedModel, SubDiscriminatorSpec, WeightMap } from './types.js';

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function resolveConv(weights: WeightMap, key: string, spec: ConvLayer, inChannels: number, family: string): ConvLayer {
  const weight = weights.get(`${key}.weight`);
  const expected = `[out, in/groups, ${spec.kernel.join(', ')}]`;
  if (!weight) {
    throw new CheckpointError(`missing key "${key}.weight" (expected shape ${expected}) for family ${family}`);
  }
  const { shape } = weight;
  const kernelOk =
    shape.length === 2 + spec.kernel.length && spec.kernel.every((k, i) => shape[2 + i] === k);
  if (!kernelOk) {
    throw new CheckpointError(
      `"${key}.weight" has shape ${shapeText(shape)}, expected ${expected} for family ${family}`,
    );
  }
  const out = shape[0]!;
  const perGroup = shape[1]!;
  if (out < 1 || perGroup < 1 || inChannels % perGroup !== 0) {
    throw new CheckpointError(
      `"${key}.weight" has shape ${shapeText(shape)}: its input width ${perGroup} does not divide ` +
        `the ${inChannels} channels the previous layer produces (family ${family})`,
    );
  }
  const groups = inChannels / perGroup;
  if (out % groups !== 0) {
    throw new CheckpointError(
      `"${key}.weight" has shape ${shapeText(shape)}: ${out} output channels cannot be split into ${groups} groups`,
    );
  }
  const bias = weights.get(`${key}.bias`);
  if (!bias) throw new CheckpointError(`missing key "${key}.bias" (expected shape [${out}]) for family ${family}`);
  if (bias.shape.length !== 1 || bias.shape[0] !== out) {
    throw new CheckpointError(`"${key}.bias" has shape ${shapeText(bias.shape)}, expected [${out}]`);
  }
  return { ...spec, in: inChannels, out, groups };
}

/** Channels of a sub's input transform's output. */
export function inputChannels(sub: SubDiscriminatorSpec): number {
  const input = sub.input;
  if (input.kind === 'cqt') return 2;
  if (input.kind === 'stft' && input.value === 'complex') return 2;
  return 1;
}

function checkBuffer(weights: WeightMap, key: string, expected: readonly (number | null)[], family: string): readonly number[] {
  const tensor = weights.get(key);
  const wanted = `[${expected.map((d) => d ?? 'n').join(', ')}]`;
  if (!tensor) throw new CheckpointError(`missing buffer "${key}" (expected shape ${wanted}) for family ${family}`);
  const ok = tensor.shape.length === expected.length && expected.every((d, i) => (d === null ? tensor.shape[i]! > 0 : tensor.shape[i] === d));
  if (!ok) throw new CheckpointError(`"${key}" has shape ${shapeText(tensor.shape)}, expected ${wanted} for family ${family}`);
  return tensor.shape;
}

/** Shapes of the stored tensors a transform reads (CQT kernels, lowpass, lengths, resampler). */
function checkBuffers(weights: WeightMap, sub: SubDiscriminatorSpec, family: string): void {
  for (const key of bufferKeys(sub, 'read')) {
    if (!weights.has(key)) throw new CheckpointError(`missing buffer "${key}" for family ${family}`);
  }
  const input = sub.input;
  if (input.kind !== 'cqt') return;
  const at = (name: string) => `${sub.prefix}.${name}`;
  const real = checkBuffer(weights, at(CQT_BUFFERS.kernelsReal), [input.binsPerOctave, 1, null], family);
  checkBuffer(weights, at(CQT_BUFFERS.kernelsImag), [input.binsPerOctave, 1, real[2]!], family);
  checkBuffer(weights, at(CQT_BUFFERS.lowpass), [1, 1, null], family);
  checkBuffer(weights, at(CQT_BUFFERS.lengths), [input.binsPerOctave * input.octaves], family);
  checkBuffer(weights, at(CQT_BUFFERS.resample), [2, 1, null], family);
}

function resolveSub(weights: WeightMap, sub: SubDiscriminatorSpec, family: string): SubDiscriminatorSpec {
  let channels = inputChannels(sub);
  let pre: ChunkConvs | undefined;
  if (sub.pre) {
    const chunks = Array.from({ length: sub.pre.count }, (_, c) => resolveConv(weights, preKey(sub, c), sub.pre!.layer, channels, family));
    const widths = new Set(chunks.map((c) => `${c.out}/${c.groups}`));
    if (widths.size !== 1) throw new CheckpointError(`"${preKey(sub, 0)}.." differ in width across chunks (family ${family})`);
    pre = { ...sub.pre, layer: chunks[0]! };
    channels = chunks[0]!.out;
  }
  const start = channels;
  let convs: ConvLayer[] = [];
  for (let b = 0; b < bandCount(sub); b++) {
    channels = start;
    const band = sub.convs.map((conv, i) => {
      const resolved = resolveConv(weights, convKey(sub, i, b), conv, channels, family);
      channels = resolved.out;
      return resolved;
    });
    if (b > 0 && band.some((c, i) => c.out !== convs[i]!.out || c.groups !== convs[i]!.groups)) {
      throw new CheckpointError(`the bands of "${sub.prefix}" differ in width: band ${b} does not match band 0 (family ${family})`);
    }
    convs = band;
  }
  const post = resolveConv(weights, postKey(sub), sub.post, channels, family);
  if (post.out !== 1) {
    throw new CheckpointError(`"${postKey(sub)}.weight" must have 1 output channel, found ${post.out}`);
  }
  checkBuffers(weights, sub, family);
  return { ...sub, convs, post, ...(pre ? { pre } : {}) };
}

export function resolveModel(family: FamilySpec, weights: WeightMap): ResolvedModel {
  return { family, subs: family.subs.map((sub) => resolveSub(weights, sub, family.name)), weights };
}

/** Every effective-weight key a family needs (convs, then read buffers), in checkpoint order. */
export function requiredKeys(family: FamilySpec): string[] {
  return family.subs.flatMap((sub) => [...convEntries(sub).flatMap((e) => [`${e.base}.weight`, `${e.base}.bias`]), ...bufferKeys(sub, 'read')]);
}
