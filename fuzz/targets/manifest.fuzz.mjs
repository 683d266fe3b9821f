/** Fuzz target: --pairs manifests (CSV or JSONL). Pairs or a UsageError. */
import { parseManifest } from '../../dist/pipeline/manifest.js';
import { UsageError } from '../../dist/errors.js';
import { check, expectTyped, text, withinSync } from './contract.mjs';

export function fuzz(data) {
  withinSync(data.length, () => {
    const content = text(data);
    for (const synOnly of [false, true]) {
      try {
        const pairs = parseManifest(content, 'pairs.csv', { synOnly });
        check(pairs.length > 0, 'an empty manifest accepted');
        for (const p of pairs) check(typeof p.key === 'string' && (p.syn !== null || p.ref !== null), `entry ${JSON.stringify(p)}`);
      } catch (error) {
        expectTyped(error, UsageError);
      }
    }
  });
}
