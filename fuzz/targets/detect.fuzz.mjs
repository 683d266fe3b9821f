/**
 * Fuzz target: format detection (magic numbers, ID3v2 tags, MPEG frame runs, ADTS, free-format
 * MPEG, other formats named). A container or an InputFileError, never anything else.
 */
import { detectFormat } from '../../dist/audio/detect.js';
import { bufferSource } from '../../dist/audio/source.js';
import { InputFileError } from '../../dist/errors.js';
import { check, expectTyped, within } from './contract.mjs';

export async function fuzz(data) {
  await within(data.length, async () => {
    try {
      const found = await detectFormat(bufferSource(data));
      check(['wav', 'ogg', 'flac', 'mpeg'].includes(found.container), `container ${found.container}`);
      if ('start' in found) check(Number.isSafeInteger(found.start) && found.start >= 0 && found.start < data.length, `start ${found.start}`);
    } catch (error) {
      expectTyped(error, InputFileError);
    }
  });
}
