import { describe, expect, it } from '@jest/globals';
import { fnv1a } from '../../src/util/fnv1a.js';
import { doubled } from '../../src/util/typed-arrays.js';

describe('doubled', () => {
  it.each([Float64Array, Int32Array, Uint8Array])('gives a %p twice as long: the values, then zeros', (Type) => {
    const array = Type.from([1, 2, 3]);
    const grown = doubled(array);
    expect(grown).toBeInstanceOf(Type);
    expect([...grown]).toEqual([1, 2, 3, 0, 0, 0]);
    expect(grown.buffer).not.toBe(array.buffer);
  });
});

describe('fnv1a', () => {
  it('is FNV-1a (32-bit): the published vectors for ASCII text', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});
