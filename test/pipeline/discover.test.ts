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

test('files pair across formats: the extension is not part of the name', async () => {
  for (const f of ['ref/a.flac', 'ref/b.mp3', 'ref/c.ogg', 'syn/a.wav', 'syn/b.opus', 'syn/c.OGG', 'syn/d.aiff']) touch(f);
  const pairs = await discoverPairs(path.join(root, 'ref'), path.join(root, 'syn'));
  expect(pairs.map((p) => [p.key, p.ref && path.relative(root, p.ref), p.syn && path.relative(root, p.syn), p.problem])).toEqual([
    ['a', 'ref/a.flac', 'syn/a.wav', undefined],
    ['b', 'ref/b.mp3', 'syn/b.opus', undefined],
    ['c', 'ref/c.ogg', 'syn/c.OGG', undefined],
    // Listed although it is not read, so that its row says why.
    ['d', null, 'syn/d.aiff', undefined],
  ]);
});

test('two files with the same name on one side are an ambiguity: each gets an error entry naming both', async () => {
  for (const f of ['ref/a.wav', 'syn/a.wav', 'syn/a.flac', 'ref/b.mp3', 'ref/b.wav', 'syn/b.wav', 'syn/c.wav']) touch(f);
  const pairs = await discoverPairs(path.join(root, 'ref'), path.join(root, 'syn'));
  const rel = (p: string | null) => p && path.relative(root, p);
  expect(pairs.map((p) => [p.key, rel(p.ref), rel(p.syn)])).toEqual([
    ['a', 'ref/a.wav', 'syn/a.flac'],
    ['a', null, 'syn/a.wav'],
    ['b', 'ref/b.mp3', 'syn/b.wav'],
    ['b', 'ref/b.wav', null],
    ['c', null, 'syn/c.wav'],
  ]);
  const both = (side: string, key: string, ...exts: string[]) =>
    `several files share the name "${key}": ${exts.map((e) => path.join(root, side, `${key}.${e}`)).join(', ')}; keep one`;
  expect(pairs.map((p) => p.problem)).toEqual([both('syn', 'a', 'flac', 'wav'), both('syn', 'a', 'flac', 'wav'), both('ref', 'b', 'mp3', 'wav'), both('ref', 'b', 'mp3', 'wav'), undefined]);
  const synOnly = await discoverSynOnly(path.join(root, 'syn'));
  expect(synOnly.filter((p) => p.problem).map((p) => rel(p.syn))).toEqual(['syn/a.flac', 'syn/a.wav']);
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
