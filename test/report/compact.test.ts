import { describe, expect, it } from '@jest/globals';
import { BoundedHeap, CodedTexts, FloatBlocks, FloatColumn, RunningMean } from '../../src/report/compact.js';
import { mean } from '../../src/report/stats.js';

/** Deterministic values of every kind a column meets: tiny, huge, negative, NaN. */
const values = Array.from({ length: 20_000 }, (_, i) => (i % 97 === 0 ? NaN : Math.sin(i) * 10 ** ((i % 13) - 6)));

describe('FloatColumn', () => {
  it('keeps every value pushed, past its first growth, as one view', () => {
    const column = new FloatColumn();
    for (const v of values) column.push(v);
    expect(column.length).toBe(values.length);
    expect([...column.values()]).toEqual(values);
  });
});

describe('FloatBlocks', () => {
  it('gives back every value by index, across blocks', () => {
    const blocks = new FloatBlocks();
    for (const v of values) blocks.push(v);
    expect(blocks.length).toBe(values.length);
    values.forEach((v, i) => expect(blocks.get(i)).toBe(v));
  });

  it('refuses an index it does not hold', () => {
    const blocks = new FloatBlocks();
    blocks.push(1);
    expect(() => blocks.get(1)).toThrow(RangeError);
    expect(() => blocks.get(-1)).toThrow(RangeError);
  });
});

describe('CodedTexts', () => {
  it('gives back every text, the usual few as codes and any beyond 255 distinct ones as they are', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 'ok' : i % 3 === 1 ? 'error' : `odd status ${i % 400}`));
    const coded = new CodedTexts();
    for (const t of texts) coded.push(t);
    expect(coded.length).toBe(texts.length);
    texts.forEach((t, i) => expect(coded.get(i)).toBe(t));
    expect(() => coded.get(texts.length)).toThrow(RangeError);
  });
});

describe('BoundedHeap', () => {
  it('keeps the first N in order out of any number offered', () => {
    const heap = new BoundedHeap<number>(5, (a, b) => a - b);
    const offered = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1009);
    for (const v of offered) heap.offer(v);
    expect(heap.sorted()).toEqual([...offered].sort((a, b) => a - b).slice(0, 5));
    expect(heap.accepts(1000)).toBe(false);
    expect(heap.accepts(-1)).toBe(true);
  });

  it('keeps nothing at capacity 0', () => {
    const heap = new BoundedHeap<number>(0, (a, b) => a - b);
    expect(heap.offer(1)).toBe(false);
    expect(heap.size).toBe(0);
  });
});

describe('RunningMean', () => {
  it('gives the same bits as mean() over the same values', () => {
    const finite = values.filter((v) => !Number.isNaN(v));
    const running = new RunningMean();
    for (const v of finite) running.add(v);
    expect(running.count).toBe(finite.length);
    expect(Object.is(running.value(), mean(finite))).toBe(true);
    expect(new RunningMean().value()).toBeNull();
  });
});
