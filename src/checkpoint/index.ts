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
  const path = typeof source === 'string' ? await resolveCheckpointFile(source) : (options.name ?? '<memory>');
  const bytes: ByteSource = typeof source === 'string' ? await FileSource.open(path) : new MemorySource(source);
  try {
    // A file is hashed while it is parsed (both only read, and its pages are cached after
    // either); bytes in memory are hashed synchronously, so only once they proved loadable.
    const hashing = typeof source === 'string' ? bytes.sha256() : undefined;
    hashing?.catch(() => undefined);
    const read = await readCheckpoint(bytes, family);
    const sha256 = await (hashing ?? bytes.sha256());
    return {
      info: {
        path,
        sha256,
        bytes: bytes.size,
        format: read.format,
        layout: read.layout,
        precision: read.precision,
        family: read.model.family.name,
      },
      model: read.model,
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A bug or an exhausted allocation must still reach the user as a plain message.
    throw new CheckpointError(`internal error while reading checkpoint "${path}": ${messageOf(error)}`);
  } finally {
    await bytes.close();
  }
}
