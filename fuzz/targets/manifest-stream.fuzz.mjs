/**
 * Fuzz target: --pairs manifests read as they stream in (readManifest), with the bytes cut into
 * pieces of a size the input chooses (multi-byte characters and CRLF cut too). The pairs, or a
 * UsageError, and the same outcome as parseManifest on the whole text: both succeed with the
 * same pairs, or both refuse.
 */
import { parseManifest, readManifest } from '../../dist/pipeline/manifest.js';
import { UsageError } from '../../dist/errors.js';
import { ContractViolation, check, expectTyped, text, within } from './contract.mjs';

async function* pieces(bytes, size) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export async function fuzz(data) {
  await within(data.length, async () => {
    const bytes = Buffer.from(data);
    if (bytes.length === 0) return;
    // The first byte picks the piece size (1-256 bytes); the rest is the manifest.
    const size = bytes[0] + 1;
    const body = bytes.subarray(1);
    let whole;
    try {
      whole = parseManifest(text(body), 'pairs', {});
    } catch (error) {
      expectTyped(error, UsageError);
      whole = null;
    }
    try {
      const streamed = [...(await readManifest(pieces(body, size), 'pairs', {}))];
      check(whole !== null, 'readManifest accepted what parseManifest refuses');
      check(JSON.stringify(streamed) === JSON.stringify(whole), 'readManifest and parseManifest give different pairs');
    } catch (error) {
      if (error instanceof ContractViolation) throw error;
      expectTyped(error, UsageError);
      check(whole === null, `readManifest refused what parseManifest accepts: ${error.message}`);
    }
  });
}
