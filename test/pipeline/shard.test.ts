import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import { inShard, parseShard, shardOf } from '../../src/pipeline/shard.js';

describe('parseShard', () => {
  it('takes 1-based I/N', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard(' 4 / 4 ')).toEqual({ index: 4, count: 4 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
  });

  it.each([
    ['0/4', 'the shard index I must be from 1 to 4 (shards are numbered from 1)'],
    ['5/4', 'the shard index I must be from 1 to 4 (shards are numbered from 1)'],
    ['1/0', 'the shard count N must be at least 1'],
    ['1', 'expected I/N, two whole numbers such as 2/4'],
    ['a/b', 'expected I/N, two whole numbers such as 2/4'],
    ['1.5/4', 'expected I/N, two whole numbers such as 2/4'],
    ['-1/4', 'expected I/N, two whole numbers such as 2/4'],
  ])('%j', (text, what) => {
    expect(() => parseShard(text)).toThrow(new UsageError(`invalid --shard "${text}": ${what} (example: --shard 1/4 runs the first of four shards)`));
  });
});

describe('shard assignment', () => {
  it('is stable: fixed keys land in fixed shards (computed independently with Python hashlib)', () => {
    expect(
      ['utt0001', 'utt0002', 'speaker1/hello', '日本語/テスト', 'a', ''].map((key) => [shardOf(key, 4), shardOf(key, 7)]),
    ).toEqual([
      [2, 3],
      [2, 1],
      [1, 4],
      [2, 7],
      [4, 7],
      [1, 2],
    ]);
  });

  it('puts every key in exactly one shard, evenly (10,000 keys over 7 shards within 5%)', () => {
    const count = 7;
    const sizes = new Array<number>(count).fill(0);
    for (let i = 0; i < 10000; i++) {
      const key = `speaker${i % 37}/utt${String(i).padStart(5, '0')}`;
      const owners = Array.from({ length: count }, (_, s) => inShard(key, { index: s + 1, count })).filter(Boolean).length;
      expect(owners).toBe(1);
      sizes[shardOf(key, count) - 1]!++;
    }
    const expected = 10000 / count;
    for (const size of sizes) expect(Math.abs(size - expected) / expected).toBeLessThan(0.05);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10000);
  });

  it('treats Windows separators and decomposed Unicode like their POSIX / NFC forms', () => {
    expect(shardOf('speaker1\\hello', 7)).toBe(shardOf('speaker1/hello', 7));
    expect(shardOf('cafe\u0301', 7)).toBe(shardOf('caf\u00e9', 7));
  });

  it('one shard holds everything', () => {
    expect(inShard('anything', { index: 1, count: 1 })).toBe(true);
  });
});
