/**
 * The rate the discriminators were trained at, where a checkpoint says it: in its own metadata
 * (Lightning `hyper_parameters`, AudioCraft `xp.cfg`, plain dict or omegaconf DictConfig) or in
 * the training config file its project writes beside it (RVC and BigVGAN `config.json`,
 * StyleTTS 2 `config.yml`). DAC's `metadata.kwargs.sample_rate` is deliberately not read:
 * audiotools stores the class defaults there, not the arguments the model was built with.
 * The rules are data and do not depend on the family: a rule that finds nothing is skipped.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointError } from '../errors.js';
import { cqtRateOf, CQT_BUFFERS } from '../model/index.js';
import type { ResolvedModel } from '../model/types.js';
import { PyDict, PyObject, type PyValue } from './values.js';

export type RateOrigin = 'option' | 'checkpoint' | 'config' | 'family';

export interface RateFinding {
  readonly rate: number;
  /** Plain words for the JSON model block: `hyper_parameters.sample_rate in the checkpoint`. */
  readonly source: string;
  readonly origin: Exclude<RateOrigin, 'option' | 'family'>;
}

/** Dotted paths into the checkpoint's top-level object. */
const IN_CHECKPOINT: readonly (readonly string[])[] = [
  ['hyper_parameters', 'sample_rate'], // PyTorch Lightning (Vocos VocosExp)
  ['xp.cfg', 'sample_rate'], // AudioCraft solver checkpoint
];

/** Config files a training run writes beside its checkpoints, and where the rate is in them. */
const BESIDE: readonly { readonly file: string; readonly path: readonly string[] }[] = [
  { file: 'config.json', path: ['data', 'sampling_rate'] }, // RVC (VITS-style) logs/<exp>/config.json
  { file: 'config.json', path: ['sampling_rate'] }, // BigVGAN checkpoint folder
  { file: 'config.yml', path: ['preprocess_params', 'sr'] }, // StyleTTS 2 log dir copy of Configs/config.yml
];

import { isPlausibleRate } from './rate-option.js';

/** A field of a dict, or of an omegaconf DictConfig kept as inert data (`_content` -> node `_val`). */
function field(value: PyValue | undefined, key: string): PyValue | undefined {
  if (value instanceof PyDict) return value.map.get(key);
  if (value instanceof PyObject && value.cls.startsWith('omegaconf.') && value.state instanceof PyDict) {
    return field(value.state.map.get('_content'), key);
  }
  return undefined;
}

function plain(value: PyValue | undefined): PyValue | undefined {
  if (value instanceof PyObject && value.cls.startsWith('omegaconf.') && value.state instanceof PyDict) return value.state.map.get('_val');
  return value;
}

/**
 * The rate a loaded model's stored transform tensors were made for: BigVGAN v2's CQT `lenghts`
 * (ceil(Q·2fs/f_k)) fit exactly one rate. That is the checkpoint stating its rate as surely as
 * a config field would (its stored CQT kernels fit no other).
 */
export function rateInBuffers(model: ResolvedModel): RateFinding | undefined {
  for (const sub of model.subs) {
    if (sub.input.kind !== 'cqt') continue;
    const key = `${sub.prefix}.${CQT_BUFFERS.lengths}`;
    const lengths = model.weights.get(key);
    const rate = lengths ? cqtRateOf(sub, lengths) : null;
    if (rate !== null) return { rate, source: `${key} in the checkpoint (the CQT kernels' rate)`, origin: 'checkpoint' };
  }
  return undefined;
}

/** The rate in the checkpoint's own metadata, if it states one. */
export function rateInCheckpoint(root: PyValue): RateFinding | undefined {
  for (const keys of IN_CHECKPOINT) {
    let value: PyValue | undefined = root;
    for (const key of keys) value = field(value, key);
    const rate = plain(value);
    const number = typeof rate === 'bigint' ? Number(rate) : rate;
    if (isPlausibleRate(number)) return { rate: number, source: `${keys.join('.')} in the checkpoint`, origin: 'checkpoint' };
  }
  return undefined;
}

/**
 * The value at `keys` in a small YAML file of nested block mappings (what StyleTTS 2's config
 * is): enough to read one scalar without a YAML dependency; anything unexpected yields nothing.
 */
export function yamlScalar(text: string, keys: readonly string[]): string | undefined {
  let depth = 0;
  let parent = -1; // indentation of the mapping key we are inside
  let level: number | undefined = 0; // indentation of its children (top level: 0)
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const match = /^(\s*)([^:\s][^:]*?)\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const own = match[1]!.length;
    if (own <= parent) return undefined; // left the mapping we were inside
    level ??= own;
    if (own !== level || match[2] !== keys[depth]) continue; // deeper lines belong to siblings
    if (depth === keys.length - 1) return match[3]!.replace(/^["']|["']$/g, '') || undefined;
    depth++;
    parent = own;
    level = undefined;
  }
  return undefined;
}

function jsonValue(text: string, keys: readonly string[]): unknown {
  let value: unknown = JSON.parse(text);
  for (const key of keys) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The rate in a training config beside `file`, if one is there and states one. */
export async function rateBeside(file: string): Promise<RateFinding | undefined> {
  const dir = path.dirname(file);
  for (const rule of BESIDE) {
    const config = path.join(dir, rule.file);
    let text: string;
    try {
      text = await readFile(config, 'utf8');
    } catch {
      continue;
    }
    let value: unknown;
    try {
      value = rule.file.endsWith('.json') ? jsonValue(text, rule.path) : Number(yamlScalar(text, rule.path));
    } catch (error) {
      throw new CheckpointError(`${config} beside the checkpoint is not valid JSON (${(error as Error).message}); fix it or give --sample-rate`);
    }
    if (isPlausibleRate(value)) return { rate: value, source: `${rule.path.join('.')} in ${config}`, origin: 'config' };
  }
  return undefined;
}
