import { describe, expect, it } from '@jest/globals';
import type { PairSpec } from '../../src/pipeline/discover.js';
import { PairList } from '../../src/pipeline/pair-list.js';
import { pairIdentity } from '../../src/pipeline/resume.js';

const TRICKY: PairSpec[] = [
  { key: 'out/a.wav', ref: 'ref/a.wav', syn: 'out/a.wav' },
  { key: 'k1', ref: 'ref/ü.wav', syn: 'out/ü.wav' },
  { key: 'ref/lonely.wav', ref: 'ref/lonely.wav', syn: null },
  { key: 'out/only.wav', ref: null, syn: 'out/only.wav' },
  { key: 'out/日本語 — “q”.wav', ref: 'ref/日本語.wav', syn: 'out/日本語 — “q”.wav' },
  { key: 'lone \ud800 surrogate', ref: 'r\udfff', syn: 'lone \ud800 surrogate' },
  { key: '', ref: '', syn: '' },
  { key: 'k', ref: 'r', syn: '', problem: 'the manifest lists "k" more than once' },
  { key: 'out/same', ref: 'out/same', syn: 'out/same' },
  { key: 'a/x.wav', ref: 'longer/a/x.wav', syn: 'a/x.wav' },
  { key: 's1', ref: 'r/\ud83d\ude00', syn: 'o/\ud83c\ude00' },
  { key: 's2', ref: 'ref/ü/😀.wav', syn: 'out/ü/😀.wav' },
  { key: 'out/\\xff.wav', ref: 'ref/\\xff.wav', syn: 'out/\\xff.wav', refBytes: Buffer.from([0x72, 0xff]), synBytes: Buffer.from([0x6f, 0xff]) },
];

describe('PairList', () => {
  it('gives back every pair exactly, and its key and identity', () => {
    const list = PairList.from(TRICKY);
    expect(list.length).toBe(TRICKY.length);
    expect([...list]).toEqual(TRICKY);
    TRICKY.forEach((pair, i) => {
      expect(list.at(i)).toEqual(pair);
      expect(list.key(i)).toBe(pair.key);
      expect(list.identity(i)).toBe(pairIdentity(pair));
    });
    expect(() => list.at(TRICKY.length)).toThrow(RangeError);
  });

  it('keeps a pair larger than a block in a block of its own, and the pairs around it', () => {
    const huge = `out/${'ü'.repeat(700_000)}.wav`;
    const pairs: PairSpec[] = [
      { key: 'out/a.wav', ref: 'ref/a.wav', syn: 'out/a.wav' },
      { key: huge, ref: `ref/${'x'.repeat(1_500_000)}.wav`, syn: huge },
      { key: 'out/b.wav', ref: 'ref/b.wav', syn: 'out/b.wav' },
    ];
    expect([...PairList.from(pairs)]).toEqual(pairs);
  });

  it('stores a ref path without the end it shares with its syn path', () => {
    const mirrored = (i: number): PairSpec => ({ key: `outputs/spk${i % 7}/utt_${i}.wav`, ref: `refs/spk${i % 7}/utt_${i}.wav`, syn: `outputs/spk${i % 7}/utt_${i}.wav` });
    const pairs = Array.from({ length: 1000 }, (_, i) => mirrored(i));
    const list = PairList.from(pairs);
    expect([...list]).toEqual(pairs);
    // Each pair: its syn path once, and "ref" of its ref path ("refs/" and "outputs/" both end in "s/").
    const synChars = pairs.reduce((n, p) => n + p.syn!.length, 0);
    expect(list.textBytes).toBe(synChars + 3 * pairs.length);
  });

  it('grows past its first blocks and filters in order', () => {
    const pairs: PairSpec[] = Array.from({ length: 30000 }, (_, i) => ({ key: `out/${'x'.repeat(i % 50)}${i}.wav`, ref: i % 3 ? `ref/${i}.wav` : null, syn: `out/${'x'.repeat(i % 50)}${i}.wav` }));
    const list = PairList.from(pairs);
    expect([...list]).toEqual(pairs);
    const odd = list.filter((_, i) => i % 2 === 1);
    expect([...odd]).toEqual(pairs.filter((_, i) => i % 2 === 1));
  });
});
