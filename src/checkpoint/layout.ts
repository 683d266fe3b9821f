/**
 * Top-level checkpoint layouts mapped onto one canonical flat key space, the one the family
 * tables use. Only the parts that can hold discriminator weights are looked at; everything
 * else (optimizer state, generator weights, step counters) is never walked, so its tensors
 * are never read.
 *
 * | layout                            | canonical keys                                |
 * |-----------------------------------|-----------------------------------------------|
 * | `{"weight": sd}`, `{"model": sd}` | sd's keys (`discriminators.N...`)             |
 * | `{"model_d": sd, "model_g"...}`   | sd's keys (`MRD...`, `MPD...`, `MSD...`)      |
 * | `{"mpd": sd, "msd"/"mrd": sd}`    | `mpd.<key>`, `msd.<key>`, `mrd.<key>`         |
 * | a bare state dict / safetensors   | its keys                                      |
 * A `module.` segment anywhere (DistributedDataParallel) is dropped.
 */
import { CheckpointError } from '../errors.js';
import { TensorRef } from './tensor.js';
import { PyDict, typeName, type PyKey, type PyValue } from './values.js';

/** Top-level keys whose dict is a discriminator state dict, merged without a prefix. */
const UNPREFIXED = ['weight', 'model', 'model_d', 'state_dict'] as const;
/** Top-level keys whose dict keeps its own name as a prefix (HiFi-GAN, BigVGAN). */
const PREFIXED = ['mpd', 'msd', 'mrd'] as const;

export interface CanonicalWeights {
  readonly tensors: ReadonlyMap<string, TensorRef>;
  /** e.g. `{'mpd','msd','optim_g','optim_d','steps','epoch'}` or `state dict`. */
  readonly layout: string;
  /** Top-level keys, for messages. */
  readonly topLevel: readonly string[];
}

function keyText(key: PyKey): string {
  return typeof key === 'string' ? `'${key}'` : typeName(key);
}

export function describeKeys(keys: readonly string[], max = 8): string {
  const shown = keys.slice(0, max).join(',');
  return `{${shown}${keys.length > max ? ',...' : ''}}`;
}

function canonical(key: string): string {
  return key
    .split('.')
    .filter((part) => part !== 'module')
    .join('.');
}

export function canonicalWeights(root: PyValue): CanonicalWeights {
  if (!(root instanceof PyDict)) {
    throw new CheckpointError(`checkpoint holds a ${typeName(root)} at the top level, not a dict of weights`);
  }
  const tensors = new Map<string, TensorRef>();
  const original = new Map<string, string>();
  let strippedModule = false;
  const add = (prefix: string, dict: PyDict): void => {
    for (const [key, value] of dict.map) {
      if (typeof key !== 'string' || !(value instanceof TensorRef)) continue;
      const name = canonical(prefix + key);
      if (name !== prefix + key) strippedModule = true;
      const before = original.get(name);
      if (before !== undefined) {
        throw new CheckpointError(`checkpoint has two tensors for "${name}" ("${before}" and "${prefix + key}"); cannot tell which to use`);
      }
      original.set(name, prefix + key);
      tensors.set(name, value);
    }
  };

  const topLevel = [...root.map.keys()].map(keyText);
  const bare = [...root.map.values()].some((value) => value instanceof TensorRef);
  let layout: string;
  if (bare) {
    add('', root);
    layout = 'state dict';
  } else {
    for (const name of UNPREFIXED) {
      const value = root.map.get(name);
      if (value instanceof PyDict) add('', value);
    }
    for (const name of PREFIXED) {
      const value = root.map.get(name);
      if (value instanceof PyDict) add(`${name}.`, value);
    }
    layout = describeKeys(topLevel);
  }
  if (strippedModule) layout += " with DDP 'module.' prefixes";
  return { tensors, layout, topLevel };
}
