import { parseManifest } from '../../src/pipeline/manifest.js';

test('CSV manifests: ref,syn columns in any order and case, optional key, quoted paths', () => {
  const pairs = parseManifest('SYN,Ref\n"out/a, b.wav",ref/a.wav\nout/c.wav,ref/c.wav\n', 'm.csv');
  expect(pairs).toEqual([
    { key: 'out/a, b.wav', ref: 'ref/a.wav', syn: 'out/a, b.wav' },
    { key: 'out/c.wav', ref: 'ref/c.wav', syn: 'out/c.wav' },
  ]);
  expect(parseManifest('key,ref,syn\nk1,r.wav,s.wav\n', 'm.csv')[0]!.key).toBe('k1');
});

test('JSONL manifests, blank lines ignored; duplicates become error rows', () => {
  const pairs = parseManifest('{"ref":"r.wav","syn":"s.wav"}\n\n{"ref":"r2.wav","syn":"s.wav"}\n', 'm.jsonl');
  expect(pairs[0]).toEqual({ key: 's.wav', ref: 'r.wav', syn: 's.wav' });
  expect(pairs[1]!.problem).toMatch(/more than once/);
});

test('syn-only manifests may omit ref; malformed manifests are usage errors', () => {
  expect(parseManifest('syn\ns.wav\n', 'm.csv', { synOnly: true })).toEqual([{ key: 's.wav', ref: null, syn: 's.wav' }]);
  expect(() => parseManifest('', 'm.csv')).toThrow(/lists no pairs/);
  expect(() => parseManifest('{"ref": 1\n', 'm.jsonl')).toThrow(/line 1 is not a JSON object/);
  expect(() => parseManifest('a,b\n1,2\n', 'm.csv')).toThrow(/neither "ref" nor "syn"/);
});
