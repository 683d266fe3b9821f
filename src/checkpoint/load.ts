/**
 * From a byte source to a resolved model: open the container, map its layout to canonical
 * keys, pick the family, materialise only the tensors that family's convs need, fold norms,
 * and let `resolveModel` check every shape.
 */
import { CheckpointError } from '../errors.js';
import { familyConvBases, familyReadBuffers, resolveModel } from '../model/index.js';
import type { FamilySpec, Float32Tensor, ResolvedModel } from '../model/types.js';
import type { CheckpointFormat } from './container.js';
import { describePrefixes, describeUnused, detectFamily, unusedKeys } from './detect.js';
import type { DType } from './dtypes.js';
import { checkFinite, findWeightSource, foldWeight, weightNormRows, type ConvWeightSource } from './fold.js';
import { openContainer } from './format.js';
import { canonicalWeights } from './layout.js';
import type { ByteSource } from './source.js';
import { materialise, type TensorRef } from './tensor.js';
import type { PyValue } from './values.js';

export interface ReadCheckpoint {
  readonly format: CheckpointFormat;
  readonly layout: string;
  /** The unpickled top-level object (lazy tensors only), for metadata such as the sample rate. */
  readonly root: PyValue;
  /** dtypes of the discriminator tensors that were read, e.g. `float16` or `mixed: float16, float32`. */
  readonly precision: string;
  readonly model: ResolvedModel;
}

/**
 * Runs `task` over `items`, at most `limit` at a time (overlapping reads without opening them
 * all), and starts nothing new once one has failed.
 */
async function inPool<T>(items: readonly T[], task: (item: T) => Promise<void>, limit = 8): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await task(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const isWeightNorm = (weight: ConvWeightSource): boolean => weight.form.startsWith('weight-norm');

function convBases(family: FamilySpec): string[] {
  return familyConvBases(family);
}

export async function readCheckpoint(source: ByteSource, family?: FamilySpec): Promise<ReadCheckpoint> {
  const opened = await openContainer(source);
  const { tensors, layout, topLevel } = canonicalWeights(opened.root);
  const chosen = family ?? detectFamily(tensors, topLevel);
  const has = (key: string): boolean => tensors.has(key);
  // A partial load would score with part of the discriminator and say nothing: refuse.
  const unused = unusedKeys(chosen, tensors.keys());
  if (unused.length > 0) {
    throw new CheckpointError(
      `checkpoint has ${unused.length} discriminator key${unused.length === 1 ? '' : 's'} that family ${chosen.name} ` +
        `(${describePrefixes(chosen)}) does not use: ${describeUnused(unused)}. ` +
        (family ? 'Choose the family the file was trained as' : 'The file matches no known family exactly; choose one with --family if it is a known one'),
    );
  }

  // Decide what each conv needs before reading anything, so a missing key fails fast.
  const plan: { base: string; weight: ConvWeightSource }[] = [];
  const needed = new Map<string, TensorRef>();
  for (const base of convBases(chosen)) {
    const weight = findWeightSource(has, base);
    if (!weight) {
      throw new CheckpointError(
        `missing key "${base}.weight" (nor weight_g/weight_v, parametrizations.weight.original0/1 or weight_orig/weight_u/weight_v) ` +
          `for family ${chosen.name}, whose weights live under ${describePrefixes(chosen)}`,
      );
    }
    plan.push({ base, weight });
    for (const key of [...weight.keys, `${base}.bias`]) {
      const ref = tensors.get(key);
      if (ref) needed.set(key, ref);
    }
  }
  // Stored transform tensors the graph uses as they are (CQT kernels, resampler); resolution
  // checks their shapes.
  const buffers = familyReadBuffers(chosen);
  for (const key of buffers) {
    const ref = tensors.get(key);
    if (!ref) throw new CheckpointError(`missing buffer "${key}" for family ${chosen.name}, whose weights live under ${describePrefixes(chosen)}`);
    needed.set(key, ref);
  }

  // Weight-norm v tensors (nearly all the bytes) are normalised row by row as they are decoded;
  // everything else (g, biases, plain and spectral-norm weights) is read first.
  const normalised = plan.filter((item) => isWeightNorm(item.weight));
  const deferred = new Set(normalised.map((item) => item.weight.keys[1]!));
  const values = new Map<string, Float32Tensor>();
  await inPool([...needed].filter(([key]) => !deferred.has(key)), async ([key, ref]) => {
    values.set(key, await materialise(source, ref, key));
  });
  const weights = new Map<string, Float32Tensor>();
  await inPool(normalised, async ({ base, weight }) => {
    const [gKey, vKey] = weight.keys as [string, string];
    const v = needed.get(vKey)!;
    const hook = weightNormRows(values.get(gKey)!, v.shape, { g: gKey, v: vKey });
    weights.set(`${base}.weight`, await materialise(source, v, vKey, hook));
  });
  for (const { base, weight } of plan) {
    if (!isWeightNorm(weight)) {
      // Weight norm checked finiteness while folding; plain and spectral-norm weights here.
      const folded = foldWeight(weight, weight.keys.map((key) => values.get(key)!));
      checkFinite(`${base}.weight`, folded);
      weights.set(`${base}.weight`, folded);
    }
    const bias = values.get(`${base}.bias`);
    if (bias) {
      checkFinite(`${base}.bias`, bias);
      weights.set(`${base}.bias`, bias);
    }
  }
  const dtypes = new Set<DType>([...needed.values()].map((ref) => ref.dtype));
  // Keep the family's key order (weights were filled in completion order).
  const ordered = new Map<string, Float32Tensor>();
  for (const base of convBases(chosen)) {
    for (const key of [`${base}.weight`, `${base}.bias`]) {
      const tensor = weights.get(key);
      if (tensor) ordered.set(key, tensor);
    }
  }
  for (const key of buffers) {
    const tensor = values.get(key)!;
    checkFinite(key, tensor);
    ordered.set(key, tensor);
  }
  const model = resolveModel(chosen, ordered);
  const sorted = [...dtypes].sort();
  const precision = sorted.length === 1 ? sorted[0]! : `mixed: ${sorted.join(', ')}`;
  return { format: opened.format, layout, root: opened.root, precision, model };
}
