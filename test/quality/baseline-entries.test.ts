import { describe, expect, it } from '@jest/globals';
import { BaselineEntries } from '../../src/quality/baseline-entries.js';

describe('BaselineEntries', () => {
  it('acts as a Map from key to the entry of its last row, with refs, deletes and the keys left', () => {
    const entries = new BaselineEntries();
    const keys = Array.from({ length: 3000 }, (_, i) => `out/ü${i}.wav`);
    keys.forEach((key, i) => expect(entries.add(key, `ref/${i}.wav`)).toEqual({ entry: i, replaced: -1 }));
    // A later row with a known key replaces the earlier one.
    expect(entries.add('out/ü7.wav', 'ref/again.wav')).toEqual({ entry: 3000, replaced: 7 });
    expect(entries.size).toBe(3000);
    expect(entries.get('out/ü7.wav')).toBe(3000);
    expect(entries.ref(3000)).toBe('ref/again.wav');
    expect(entries.ref(8)).toBe('ref/8.wav');
    expect(entries.get('out/nope.wav')).toBeUndefined();
    expect(entries.delete('out/ü8.wav')).toBe(true);
    expect(entries.delete('out/ü8.wav')).toBe(false);
    expect(entries.get('out/ü8.wav')).toBeUndefined();
    expect(entries.size).toBe(2999);
    const left = [...entries];
    expect(left).toHaveLength(2999);
    expect(new Set(entries.keys())).toEqual(new Set(keys.filter((k) => k !== 'out/ü8.wav')));
    expect(left.find(([key]) => key === 'out/ü7.wav')).toEqual(['out/ü7.wav', 3000]);
  });
});
