/**
 * How windows are grouped into engine calls (the batcher does the grouping).
 *
 * On CPU one window per call is fastest and leanest (measured: 4 x 1 s sovits5 windows take as
 * long batched as one by one, at twice the memory), so windows are only grouped on GPUs.
 * There a call holds as many windows of one length as fit a memory budget: the feature maps
 * of every sub-discriminator (featureValues) for every window and side, in float32. That
 * over-counts (onnxruntime frees a map once its consumers ran), so the budget is a ceiling,
 * not a target. Windows are never padded to share a call (padding changes the scores), so
 * only equal lengths batch; see the batcher for how mixed lengths queue.
 */
import { featureValues } from '../model/index.js';
import type { SubDiscriminatorSpec } from '../model/types.js';
import type { BatchLimits } from './batcher.js';

/** Default GPU memory for one call's feature maps: fits any GPU with 4 GB, which run WebGPU. */
export const DEFAULT_BATCH_MEMORY_MIB = 2048;

export interface BatchPolicyInput {
  readonly provider: string;
  readonly subs: readonly SubDiscriminatorSpec[];
  /** Sides per window: 2 (reference and synthesized) or 1 (syn-only). */
  readonly sides: 1 | 2;
  /** Most windows per call, when the user fixed it. */
  readonly batchSize?: number;
  /** GPU memory budget for one call, in MiB. */
  readonly batchMemoryMiB?: number;
}

/** A call's feature-map bytes per input sample and side (they grow linearly with length). */
export function activationBytesPerSample(subs: readonly SubDiscriminatorSpec[]): number {
  // Long enough that rounding at the ends of each layer does not matter.
  const reference = 1 << 16;
  return (4 * subs.reduce((sum, sub) => sum + featureValues(sub, reference), 0)) / reference;
}

export function batchPolicy(input: BatchPolicyInput): BatchLimits {
  if (input.batchSize !== undefined) return { batchSize: input.batchSize, batchSamples: Number.POSITIVE_INFINITY };
  if (input.provider === 'cpu') return { batchSize: 1, batchSamples: Number.POSITIVE_INFINITY };
  const budget = (input.batchMemoryMiB ?? DEFAULT_BATCH_MEMORY_MIB) * 2 ** 20;
  const perSample = activationBytesPerSample(input.subs) * input.sides;
  return { batchSize: Number.POSITIVE_INFINITY, batchSamples: Math.max(1, Math.floor(budget / perSample)) };
}
