import { describe, expect, it, test } from '@jest/globals';
import { parseManifest, readManifest } from '../../src/pipeline/manifest.js';

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

describe('readManifest (streamed) gives what parseManifest gives for the whole text', () => {
  const cases: [string, string, { synOnly?: boolean }?][] = [
    ['csv with quotes, commas, a newline in a path and CRLF', '\uFEFFSYN,Ref\r\n"out/a, ""b"".wav",ref/a.wav\r\n"out/new\nline.wav",ref/ü日本.wav\r\n\r\nout/c.wav,ref/c.wav\r\n'],
    ['csv with a key column and a duplicate', 'key,ref,syn\nk1,r.wav,s.wav\nk1,r2.wav,s2.wav\n'],
    ['jsonl with blank lines, CRLF and a duplicate', '\n  {"ref":"r.wav","syn":"s.wav"}\r\n\n{"ref":"r2 ü.wav","syn":"s.wav"}\n{"syn":"t.wav","ref":"日本.wav"}'],
    ['syn-only csv', 'syn\ns.wav\n', { synOnly: true }],
  ];
  /** The text as bytes cut into pieces of `size`, multi-byte characters cut too. */
  async function* pieces(text: string, size: number): AsyncGenerator<Buffer> {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  for (const [what, text, options] of cases) {
    it(what, async () => {
      const whole = parseManifest(text, 'm', options);
      for (const size of [1, 2, 3, 7, 64, 1 << 16]) expect([...(await readManifest(pieces(text, size), 'm', options))]).toEqual(whole);
    });
  }

  it.each<[string, string]>([
    ['', 'lists no pairs'],
    ['   \n\n', 'lists no pairs'],
    ['{"ref":"r.wav","syn":"s.wav"}\n{"ref": 1\n', 'm: line 2 is not a JSON object'],
    ['{"ref":"r.wav","syn":"s.wav"}\n[1]\n', 'm: line 2 is not a JSON object'],
    ['a,b\n1,2\n', 'record 1 has neither "ref" nor "syn"'],
    ['ref,syn\n"unclosed,s.wav\n', 'not a readable CSV manifest'],
    ['ref,syn\nr.wav,s\u0000.wav\n', 'it holds binary data'],
  ])('refuses %j as parseManifest does', async (text, message) => {
    expect(() => parseManifest(text, 'm')).toThrow(message);
    for (const size of [1, 5, 1 << 16]) await expect(readManifest(pieces(text, size), 'm')).rejects.toThrow(message);
  });
});
