/**
 * Top-level checkpoint containers mapped onto one canonical flat key space, the one the family
 * tables use. Each container is recognised by its top-level keys (first matching rule wins);
 * only the dicts that can hold discriminator weights are looked at, and only their direct
 * tensor entries: optimizer state, generator weights, step counters and nested dicts
 * (AudioCraft's `msstftd.optimizer`) are never walked, so their tensors are never read.
 *
 * | container (rule)                                   | canonical keys                              |
 * |----------------------------------------------------|---------------------------------------------|
 * | a bare state dict / safetensors (`state dict`)     | its keys                                    |
 * | StyleTTS 2 `{"net": {"mpd","msd","wd",...}}` (net) | `<module>.<key>`: `mpd.`, `msd.`, `wd.`, ...|
 * | AudioCraft `checkpoint.th` `{"adv_losses": sd}`    | sd's keys: `msstftd.adversary.discriminators.N...` |
 * | Lightning `.ckpt`, DAC `weights.pth` `{"state_dict"}` | sd's keys: `multiperioddisc.`, `discriminators.N` ... |
 * | so-vits-svc 5 `{"model_d": sd, "model_g"...}`      | sd's keys (`MRD...`, `MPD...`, `MSD...`)    |
 * | HiFi-GAN/BigVGAN `{"mpd", "msd"/"mrd", ...}`       | `mpd.<key>`, `msd.<key>`, `mrd.<key>`       |
 * | `{"weight": sd}` (GPT-SoVITS), `{"model": sd}` (RVC, v2Pro) | sd's keys (`discriminators.N...`)  |
 * A `module.` segment anywhere (DataParallel) is dropped. Which canonical keys are the
 * discriminator's is the family's business (load.ts): a Lightning state dict also holds the
 * generator, StyleTTS 2's `net` its decoder.
 */
import { CheckpointError } from '../errors.js';
import { TensorRef } from './tensor.js';
import { PyDict, typeName, type PyKey, type PyValue } from './values.js';

export interface CanonicalWeights {
  readonly tensors: ReadonlyMap<string, TensorRef>;
  /** e.g. `{'mpd','msd','optim_g','optim_d','steps','epoch'}` or `state dict`. */
  readonly layout: string;
  /** Top-level keys, for messages. */
  readonly topLevel: readonly string[];
  /** Which container rule matched: `state dict`, `net`, `adv_losses`, `state_dict`, ... */
  readonly container: string;
}

/** One dict to flatten and the prefix its keys get. */
interface Part {
  readonly prefix: string;
  readonly dict: PyDict;
}

interface ContainerRule {
  readonly name: string;
  /** The parts to flatten, or undefined when the rule does not apply. */
  parts(root: PyDict): Part[] | undefined;
}

const dictAt = (root: PyDict, key: string): PyDict | undefined => {
  const value = root.map.get(key);
  return value instanceof PyDict ? value : undefined;
};

/** A rule for `{"<key>": state dict, ...}`, keys merged without a prefix. */
const unprefixed = (key: string): ContainerRule => ({
  name: key,
  parts: (root) => {
    const dict = dictAt(root, key);
    return dict ? [{ prefix: '', dict }] : undefined;
  },
});

/** Top-level keys whose dict keeps its own name as a prefix (HiFi-GAN, BigVGAN `do_` files). */
const PREFIXED = ['mpd', 'msd', 'mrd'] as const;

/** In order: the first rule that applies decides. Data, so a new container is one line. */
const RULES: readonly ContainerRule[] = [
  {
    // StyleTTS 2 train_first/train_second: every module of the model under its own name.
    name: 'net',
    parts: (root) => {
      const net = dictAt(root, 'net');
      if (!net) return undefined;
      const parts: Part[] = [];
      for (const [key, value] of net.map) if (typeof key === 'string' && value instanceof PyDict) parts.push({ prefix: `${key}.`, dict: value });
      return parts;
    },
  },
  unprefixed('adv_losses'),
  unprefixed('state_dict'),
  unprefixed('model_d'),
  {
    name: 'mpd/msd/mrd',
    parts: (root) => {
      const parts = PREFIXED.flatMap((key) => {
        const dict = dictAt(root, key);
        return dict ? [{ prefix: `${key}.`, dict }] : [];
      });
      return parts.length > 0 ? parts : undefined;
    },
  },
  unprefixed('weight'),
  unprefixed('model'),
];

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
  const add = ({ prefix, dict }: Part): void => {
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
  let container = 'state dict';
  if (bare) {
    add({ prefix: '', dict: root });
    layout = 'state dict';
  } else {
    for (const rule of RULES) {
      const parts = rule.parts(root);
      if (!parts) continue;
      parts.forEach(add);
      container = rule.name;
      break;
    }
    layout = describeKeys(topLevel);
  }
  if (strippedModule) layout += " with DDP 'module.' prefixes";
  return { tensors, layout, topLevel, container };
}
