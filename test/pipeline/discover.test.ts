import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../src/errors.js';
import { discoverPairs, discoverSynOnly } from '../../src/pipeline/discover.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let root: string;
const touch = (rel: string) => {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
};

beforeEach(() => {
  root = tempDir('discover');
});
afterEach(() => removeDir(root));

test('pairs by relative path without extension, recursively; unpaired files on both sides are kept', async () => {
  for (const f of ['ref/a.wav', 'ref/spk/b.wav', 'ref/only-ref.wav', 'syn/a.WAV', 'syn/spk/b.wav', 'syn/only-syn.wav', 'syn/notes.txt', 'syn/.hidden.wav']) touch(f);
  const pairs = await discoverPairs(path.join(root, 'ref'), path.join(root, 'syn'));
  expect(pairs.map((p) => [p.key, p.ref && path.relative(root, p.ref), p.syn && path.relative(root, p.syn)])).toEqual([
    ['a', 'ref/a.wav', 'syn/a.WAV'],
    ['only-ref', 'ref/only-ref.wav', null],
    ['only-syn', null, 'syn/only-syn.wav'],
    ['spk/b', 'ref/spk/b.wav', 'syn/spk/b.wav'],
  ]);
});

test('two files with the same name but different extensions are an ambiguity, not a guess', async () => {
  for (const f of ['ref/a.wav', 'syn/a.wav', 'syn/a.flac']) touch(f);
  const [pair] = await discoverPairs(path.join(root, 'ref'), path.join(root, 'syn'));
  expect(pair!.problem).toMatch(/several files share the name "a": a.flac, a.wav/);
});

test('folder links are followed once, so a link loop terminates', async () => {
  touch('syn/x/a.wav');
  symlinkSync(path.join(root, 'syn'), path.join(root, 'syn', 'x', 'loop'));
  const pairs = await discoverSynOnly(path.join(root, 'syn'));
  expect(pairs.map((p) => p.key)).toEqual(['x/a']);
});

test('missing, non-folder and empty inputs are usage errors', async () => {
  touch('ref/a.wav');
  mkdirSync(path.join(root, 'empty'));
  await expect(discoverPairs(path.join(root, 'nope'), path.join(root, 'ref'))).rejects.toThrow(/reference folder not found/);
  await expect(discoverPairs(path.join(root, 'ref', 'a.wav'), path.join(root, 'ref'))).rejects.toThrow(/not a folder/);
  await expect(discoverPairs(path.join(root, 'ref'), path.join(root, 'empty'))).rejects.toThrow(UsageError);
});
