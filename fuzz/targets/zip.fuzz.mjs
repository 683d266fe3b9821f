/** Fuzz target: the zip directory reader of PyTorch checkpoints. Entries inside the file, or a CheckpointError. */
import { entryDataOffset, readZipDirectory } from '../../dist/checkpoint/zip.js';
import { MemorySource } from '../../dist/checkpoint/source.js';
import { CheckpointError } from '../../dist/errors.js';
import { check, expectTyped, within } from './contract.mjs';

export async function fuzz(data) {
  await within(data.length, async () => {
    const source = new MemorySource(data);
    let entries;
    try {
      entries = await readZipDirectory(source);
    } catch (error) {
      expectTyped(error, CheckpointError);
      return;
    }
    check(entries.length <= data.length / 22 + 1, `${entries.length} entries in ${data.length} bytes`);
    for (const entry of entries.slice(0, 64)) {
      check(entry.localHeaderOffset >= 0 && entry.localHeaderOffset < data.length, `entry offset ${entry.localHeaderOffset}`);
      try {
        const at = await entryDataOffset(source, entry);
        check(at >= 0 && at <= data.length, `data offset ${at}`);
      } catch (error) {
        expectTyped(error, CheckpointError);
      }
    }
  });
}
