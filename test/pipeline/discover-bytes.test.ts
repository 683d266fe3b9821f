/**
 * File names are bytes on Linux: names that are not valid UTF-8 are found, opened by their
 * bytes and shown with the invalid bytes escaped (`\xFF`), instead of "file disappeared".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAudio } from '../../src/audio/index.js';
import { discoverPairs, displayName } from '../../src/pipeline/discover.js';
import { pcm16Wav, speechSamples } from '../helpers/encoders.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('names');
  const wav = pcm16Wav(speechSamples(0.2, 16000, 1, 1), 16000, 1);
  for (const side of ['ref', 'syn']) {
    mkdirSync(path.join(dir, side, 'd\u00e9j\u00e0'), { recursive: true });
    // "a\xFF.wav" (Latin-1 ÿ: not UTF-8), "b.wav", and "déjà/c\xE9.wav" (a valid folder, an invalid name).
    writeFileSync(Buffer.concat([Buffer.from(path.join(dir, side) + '/'), Buffer.from([0x61, 0xff]), Buffer.from('.wav')]), wav);
    writeFileSync(path.join(dir, side, 'b.wav'), wav);
    writeFileSync(Buffer.concat([Buffer.from(path.join(dir, side, 'd\u00e9j\u00e0') + '/'), Buffer.from([0x63, 0xe9]), Buffer.from('.wav')]), wav);
  }
});
afterAll(() => removeDir(dir));

it('escapes exactly the bytes that are not UTF-8', () => {
  expect(displayName(Buffer.from('plain-\u00e9\u4e2d\u{1f600}.wav'))).toBe('plain-\u00e9\u4e2d\u{1f600}.wav');
  expect(displayName(Buffer.from([0x61, 0xff, 0x2e]))).toBe('a\\xFF.');
  expect(displayName(Buffer.from([0xc3, 0x28]))).toBe('\\xC3(');
  expect(displayName(Buffer.from([0xe2, 0x82]))).toBe('\\xE2\\x82');
  expect(displayName(Buffer.from([0xc0, 0xaf]))).toBe('\\xC0\\xAF'); // overlong '/'
  expect(displayName(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xED\\xA0\\x80'); // a surrogate
});

it('pairs, opens and names files whose names are not UTF-8', async () => {
  const pairs = await discoverPairs(path.join(dir, 'ref'), path.join(dir, 'syn'));
  expect(pairs.map((p) => p.key)).toEqual(['a\\xFF', 'b', 'd\u00e9j\u00e0/c\\xE9']);
  const [a, b, c] = pairs as [(typeof pairs)[0], (typeof pairs)[0], (typeof pairs)[0]];
  expect(a.ref).toBe(path.join(dir, 'ref', 'a\\xFF.wav'));
  expect(a.refBytes).toEqual(Buffer.concat([Buffer.from(path.join(dir, 'ref') + '/'), Buffer.from([0x61, 0xff]), Buffer.from('.wav')]));
  expect(b.refBytes).toBeUndefined(); // plain names stay plain strings
  expect(c.syn).toBe(path.join(dir, 'syn', 'd\u00e9j\u00e0', 'c\\xE9.wav'));
  for (const p of pairs) {
    for (const file of [p.refBytes ?? p.ref!, p.synBytes ?? p.syn!]) {
      const reader = await openAudio(file);
      expect(reader.info.frames).toBe(3200);
      await reader.close();
    }
  }
});
