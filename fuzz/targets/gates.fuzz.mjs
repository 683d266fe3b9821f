/** Fuzz target: --fail-if gate expressions. A gate over known columns, or a UsageError. */
import { parseGate } from '../../dist/quality/gates.js';
import { UsageError } from '../../dist/errors.js';
import { check, expectTyped, text, withinSync } from './contract.mjs';

const COLUMNS = ['fm', 'mel_l1', 'mel_dtw', 'gen', 'fake', 'real', 'disc', 'fm_mpd', 'fm_msd', 'offset_ms', 'syn_seconds'];

export function fuzz(data) {
  withinSync(data.length, () => {
    try {
      const gate = parseGate(text(data), COLUMNS);
      check(typeof gate === 'object' && gate !== null, 'no gate');
      check(Number.isFinite(gate.threshold) || Number.isNaN(gate.threshold) === false, `threshold ${gate.threshold}`);
    } catch (error) {
      expectTyped(error, UsageError);
    }
  });
}
