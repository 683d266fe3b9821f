/**
 * Fuzz target: the restricted unpickler (checkpoints are untrusted: nothing in them executes).
 * A value or a CheckpointError; STOP inside the input.
 */
import { unpickle } from '../../dist/checkpoint/pickle.js';
import { CheckpointError } from '../../dist/errors.js';
import { check, expectTyped, withinSync } from './contract.mjs';

const options = { what: 'data.pkl', persistentLoad: (pid) => pid };

export function fuzz(data) {
  withinSync(data.length, () => {
    try {
      const { end } = unpickle(data, 0, options);
      check(Number.isInteger(end) && end > 0 && end <= data.length, `end ${end} of ${data.length}`);
    } catch (error) {
      expectTyped(error, CheckpointError);
    }
  });
}
