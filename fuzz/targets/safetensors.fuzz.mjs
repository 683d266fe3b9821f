/** Fuzz target: the safetensors header reader. A dict of tensor references inside the file, or a CheckpointError. */
import { readSafetensors } from '../../dist/checkpoint/safetensors.js';
import { MemorySource } from '../../dist/checkpoint/source.js';
import { CheckpointError } from '../../dist/errors.js';
import { check, expectTyped, within } from './contract.mjs';

export async function fuzz(data) {
  await within(data.length, async () => {
    try {
      const opened = await readSafetensors(new MemorySource(data));
      check(opened.format === 'safetensors', `format ${opened.format}`);
    } catch (error) {
      expectTyped(error, CheckpointError);
    }
  });
}
