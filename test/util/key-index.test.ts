import { describe, expect, it } from '@jest/globals';
import { KeyIndex } from '../../src/util/key-index.js';

describe('KeyIndex', () => {
  it('finds each key, keeps the first item of a key, and misses what is not there', () => {
    // Enough keys to grow the table several times, with duplicates and look-alikes.
    const keys = Array.from({ length: 5000 }, (_, i) => `out/spk${i % 37}/utt_${i % 4000}.wav`);
    keys.push('', 'ü日本', 'ü日本');
    const index = new KeyIndex((i) => keys[i]!);
    const first = new Map<string, number>();
    keys.forEach((key, i) => {
      if (!first.has(key)) first.set(key, i);
      expect(index.add(i)).toBe(first.get(key));
    });
    expect(index.size).toBe(first.size);
    for (const [key, i] of first) expect(index.get(key)).toBe(i);
    expect(index.get('out/spk0/utt_4000.wav')).toBe(-1);
    expect(index.get('ü日')).toBe(-1);
  });

  it('starts at the expected size without growing', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const index = new KeyIndex((i) => keys[i]!, keys.length);
    keys.forEach((_, i) => index.add(i));
    expect(keys.every((key, i) => index.get(key) === i)).toBe(true);
  });
});
