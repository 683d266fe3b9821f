/** What every container reader (torch zip, torch legacy, safetensors) hands to the layout step. */
import type { PyValue } from './values.js';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

export interface OpenedCheckpoint {
  readonly format: CheckpointFormat;
  /** The top-level object: the unpickled value, or for safetensors a dict of its tensors. */
  readonly root: PyValue;
}
