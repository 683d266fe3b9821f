/**
 * A checkpoint given as bytes may be a view into a larger buffer (a Buffer from Node's pool:
 * readFileSync of any file under 4 KB, Buffer.from of a string): reads must copy out exactly
 * the bytes asked for, since the readers look at them through `.buffer` (found by fuzzing the
 * zip reader: entries were read from the pool's other bytes).
 */
import { readFileSync } from 'node:fs';
import { MemorySource } from '../../src/checkpoint/source.js';
import { readZipDirectory } from '../../src/checkpoint/zip.js';

it('reads a zip directory from a view into a larger buffer', async () => {
  const zip = readFileSync('fuzz/corpus/zip/checkpoint.pt');
  const padded = Buffer.alloc(zip.length + 64, 0xaa);
  zip.copy(padded, 32);
  const view = padded.subarray(32, 32 + zip.length);
  const entries = await readZipDirectory(new MemorySource(view));
  expect(entries.map((e) => e.name)).toEqual(['archive/data.pkl', 'archive/data/0', 'archive/version']);
  const read = await new MemorySource(view).read(4, 8, 'test');
  expect(read.byteOffset).toBe(0);
  expect(read.buffer.byteLength).toBe(8);
  expect(Buffer.from(read)).toEqual(zip.subarray(4, 12));
});

it('calls a central directory entry whose record lies past the end of the file damage (fuzz finding)', async () => {
  const bytes = readFileSync('fuzz/regressions/zip/entry-offset');
  await expect(readZipDirectory(new MemorySource(bytes))).rejects.toThrow(/checkpoint zip archive is damaged: .*past the end of the \d+-byte file/);
});
