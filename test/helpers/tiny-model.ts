/**
 * Tiny discriminators: a family with every channel width divided by N (like the golden files),
 * its deterministic untrained weights, and a checkpoint file of them. Fast to load and run: the
 * default `gpt-sovits` one scores ~40 half-second pairs in about a second.
 */
import { safetensors, stateDict, torchZip, writeCheckpointFile, type StateTensor } from '../support/checkpoint-writers/writers.js';
import { getFamily, untrainedWeights } from '../../src/model/index.js';
import type { ConvLayer, FamilySpec } from '../../src/model/types.js';

export interface TinyOptions {
  /** Widths are divided by this (default 16). */
  divisor?: number;
  /** Picks the weights: two seeds give two checkpoints with different values and hashes (default 7). */
  seed?: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function shrink(conv: ConvLayer, divisor: number): ConvLayer {
  // Input widths of 1 or 2 are the transform's channels (waveform, or a spectrogram's real and imaginary parts).
  const inCh = conv.in <= 2 ? conv.in : Math.max(1, conv.in / divisor);
  const out = conv.out === 1 ? 1 : Math.max(1, conv.out / divisor);
  return { ...conv, in: inCh, out, groups: gcd(gcd(inCh, out), conv.groups) };
}

/** `name` with every channel width divided by `divisor` and groups reduced so in/groups stays whole. */
export function tinyFamily(name: string, divisor = 16): FamilySpec {
  const family = getFamily(name);
  return {
    ...family,
    subs: family.subs.map((sub) => ({ ...sub, convs: sub.convs.map((c) => shrink(c, divisor)), post: shrink(sub.post, divisor) })),
  };
}

/** Effective (untrained) weights of a tiny version of `family`, keyed as the real family expects. */
export function tinyWeights(family: string, options: TinyOptions = {}): Map<string, StateTensor> {
  return untrainedWeights(tinyFamily(family, options.divisor ?? 16), options.seed ?? 7);
}

export interface TinyCheckpointOptions extends TinyOptions {
  /** Default `gpt-sovits`. */
  family?: string;
  /**
   * `torch-zip` (default): GPT-SoVITS's pretrained layout, `torch.save({"weight": state_dict})`;
   * `safetensors`: the bare state dict.
   */
  format?: 'torch-zip' | 'safetensors';
}

/** Writes a tiny checkpoint (see `TinyCheckpointOptions`) to `file`; returns `file`. */
export async function writeTinyCheckpoint(file: string, options: TinyCheckpointOptions = {}): Promise<string> {
  const weights = tinyWeights(options.family ?? 'gpt-sovits', options);
  const format = options.format ?? 'torch-zip';
  await writeCheckpointFile(file, format === 'safetensors' ? safetensors(weights) : torchZip(new Map([['weight', stateDict(weights)]])));
  return file;
}
