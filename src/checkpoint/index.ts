/**
 * Checkpoint loading: PyTorch (zip and legacy) and safetensors discriminator checkpoints to a
 * resolved model, with no Python and nothing from the file ever executed.
 */
import { CheckpointError, UsageError, messageOf } from '../errors.js';
import { familyNames, findFamily } from '../model/index.js';
import type { FamilySpec, ResolvedModel } from '../model/types.js';
import type { CheckpointFormat } from './container.js';
import { resolveCheckpointFile } from './folder.js';
import { readCheckpoint } from './load.js';
import { checkSampleRate } from './rate-option.js';
import { rateBeside, rateInBuffers, rateInCheckpoint } from './rate.js';
import type { PyValue } from './values.js';
import { FileSource, MemorySource, type ByteSource } from './source.js';

export type { CheckpointFormat } from './container.js';

export interface CheckpointInfo {
  /**
   * The file read: the path given, or for a folder (DAC's `latest/discriminator/`) the weights
   * file inside it; `options.name` (default `<memory>`) for bytes.
   */
  readonly path: string;
  /** sha256 of the whole file, lowercase hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly format: CheckpointFormat;
  /** Top-level layout, e.g. `{'mpd','msd','optim_g','optim_d','steps','epoch'}` or `state dict`. */
  readonly layout: string;
  /** dtypes of the discriminator tensors: `float32`, `float16`, ... or `mixed: float16, float32`. */
  readonly precision: string;
  readonly family: string;
  /** The rate the networks see: `options.sampleRate`, else the checkpoint's metadata, else a config beside it, else the family's. */
  readonly sampleRate: number;
  /** Where `sampleRate` came from, in words: `--sample-rate`, `hyper_parameters.sample_rate in the checkpoint`, ... */
  readonly sampleRateSource: string;
}

export interface LoadedCheckpoint {
  readonly info: CheckpointInfo;
  readonly model: ResolvedModel;
}

export interface LoadOptions {
  /** Family name or alias; overrides detection. Unknown names are a UsageError. */
  readonly family?: string;
  /** Name reported as `info.path` when loading from bytes. */
  readonly name?: string;
  /**
   * The rate the networks see, in Hz (`--sample-rate`). One that contradicts the rate the
   * checkpoint's own metadata states is a UsageError; it overrides a config file beside it.
   */
  readonly sampleRate?: number;
}

interface ChosenRate {
  readonly rate: number;
  readonly source: string;
}

async function chooseRate(root: PyValue, model: ResolvedModel, file: string | undefined, given: number | undefined): Promise<ChosenRate> {
  const family = model.family;
  const stated = rateInCheckpoint(root) ?? rateInBuffers(model);
  if (given !== undefined) {
    if (stated && stated.rate !== given) {
      const field = stated.source.replace(/ in the checkpoint.*$/, '');
      throw new UsageError(`--sample-rate ${given} contradicts the checkpoint, whose ${field} says ${stated.rate}; the networks were trained at ${stated.rate} Hz`);
    }
    return { rate: given, source: '--sample-rate' };
  }
  const found = stated ?? (file ? await rateBeside(file) : undefined);
  return found ?? { rate: family.sampleRate, source: `family default (${family.name})` };
}

function familyOption(name: string | undefined): FamilySpec | undefined {
  if (name === undefined) return undefined;
  const family = findFamily(name);
  if (!family) throw new UsageError(`unknown family "${name}"; known families: ${familyNames().join(', ')}`);
  return family;
}

/**
 * Loads the discriminator weights of a checkpoint file (path) or of its bytes. Every problem a
 * file can have ends in a CheckpointError with a plain message.
 */
export async function loadCheckpoint(source: string | Uint8Array, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const family = familyOption(options.family);
  if (options.sampleRate !== undefined) checkSampleRate(options.sampleRate);
  const path = typeof source === 'string' ? await resolveCheckpointFile(source) : (options.name ?? '<memory>');
  const bytes: ByteSource = typeof source === 'string' ? await FileSource.open(path) : new MemorySource(source);
  try {
    // A file is hashed while it is parsed (both only read, and its pages are cached after
    // either); bytes in memory are hashed synchronously, so only once they proved loadable.
    const hashing = typeof source === 'string' ? bytes.sha256() : undefined;
    hashing?.catch(() => undefined);
    const read = await readCheckpoint(bytes, family);
    const sha256 = await (hashing ?? bytes.sha256());
    const rate = await chooseRate(read.root, read.model, typeof source === 'string' ? path : undefined, options.sampleRate);
    // The rate travels with the family, so the engine, the session cache key and the scorer all see it.
    const model: ResolvedModel = { ...read.model, family: { ...read.model.family, sampleRate: rate.rate } };
    return {
      info: {
        path,
        sha256,
        bytes: bytes.size,
        format: read.format,
        layout: read.layout,
        precision: read.precision,
        family: read.model.family.name,
        sampleRate: rate.rate,
        sampleRateSource: rate.source,
      },
      model,
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A bug or an exhausted allocation must still reach the user as a plain message.
    throw new CheckpointError(`internal error while reading checkpoint "${path}": ${messageOf(error)}`);
  } finally {
    await bytes.close();
  }
}
