/**
 * Reads channel widths and groups off a set of weights and checks them against the family's
 * layer table. Kernels, strides, paddings, slopes, periods and STFT resolutions always come
 * from the family: checkpoints do not store them.
 */
import { CheckpointError } from '../errors.js';
import type { ConvLayer, FamilySpec, ResolvedModel, SubDiscriminatorSpec, WeightMap } from './types.js';

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

function resolveSub(weights: WeightMap, sub: SubDiscriminatorSpec, family: string): SubDiscriminatorSpec {
  let channels = 1;
  const convs = sub.convs.map((conv, i) => {
    const resolved = resolveConv(weights, `${sub.prefix}.convs.${i}`, conv, channels, family);
    channels = resolved.out;
    return resolved;
  });
  const post = resolveConv(weights, `${sub.prefix}.conv_post`, sub.post, channels, family);
  if (post.out !== 1) {
    throw new CheckpointError(`"${sub.prefix}.conv_post.weight" must have 1 output channel, found ${post.out}`);
  }
  return { ...sub, convs, post };
}

export function resolveModel(family: FamilySpec, weights: WeightMap): ResolvedModel {
  return { family, subs: family.subs.map((sub) => resolveSub(weights, sub, family.name)), weights };
}

/** Every effective-weight key a family needs, in checkpoint order. */
export function requiredKeys(family: FamilySpec): string[] {
  return family.subs.flatMap((sub) => [
    ...sub.convs.flatMap((_, i) => [`${sub.prefix}.convs.${i}.weight`, `${sub.prefix}.convs.${i}.bias`]),
    `${sub.prefix}.conv_post.weight`,
    `${sub.prefix}.conv_post.bias`,
  ]);
}
