import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fnv1a32, getFamily, mulberry32Fill, untrainedWeights } from '../../src/model/index.js';
import { GOLDEN_ROOT } from '../helpers/golden.js';

const vectors = JSON.parse(readFileSync(path.join(GOLDEN_ROOT, 'prng_vectors.json'), 'utf8')) as {
  fnv1a32: Record<string, number>;
  mulberry32_seed_12345_first5: number[];
};

test('FNV-1a 32 matches the golden vectors', () => {
  for (const [key, value] of Object.entries(vectors.fnv1a32)) expect(fnv1a32(key)).toBe(value);
  expect(fnv1a32('')).toBe(0x811c9dc5);
});

test('mulberry32 (counter form) matches the golden vectors exactly', () => {
  const out = new Float64Array(5);
  mulberry32Fill(12345, out);
  expect(Array.from(out)).toEqual(vectors.mulberry32_seed_12345_first5);
});

test('mulberry32 agrees with a Math.imul reference over many seeds', () => {
  const reference = (seed: number, n: number) => {
    const values: number[] = [];
    let state = seed >>> 0;
    for (let j = 0; j < n; j++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      values.push(((t ^ (t >>> 14)) >>> 0) / 4294967296);
    }
    return values;
  };
  for (const seed of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 3225083761]) {
    const out = new Float64Array(1000);
    mulberry32Fill(seed, out);
    expect(Array.from(out)).toEqual(reference(seed, 1000));
  }
});

test('untrained init: keys, shapes, bounds and seeding per key', () => {
  const family = getFamily('gpt-sovits');
  const weights = untrainedWeights(family, 0);
  const w = weights.get('discriminators.0.convs.1.weight')!;
  expect(w.shape).toEqual([64, 4, 41]);
  const bound = 1 / Math.sqrt(4 * 41);
  expect(Math.max(...Array.from(w.data, Math.abs))).toBeLessThanOrEqual(bound);
  expect(weights.get('discriminators.5.conv_post.bias')!.shape).toEqual([1]);
  const other = untrainedWeights(family, 7).get('discriminators.0.convs.1.weight')!;
  expect(other.data[0]).not.toBe(w.data[0]);
  // value j = (2 u_j - 1) * bound with u from the key's own seed
  const u = new Float64Array(1);
  mulberry32Fill(fnv1a32('discriminators.0.convs.1.weight'), u);
  expect(w.data[0]).toBe(Math.fround((2 * u[0]! - 1) * bound));
});
