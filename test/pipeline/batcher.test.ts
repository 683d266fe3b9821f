import type { WindowScores } from '../../src/engine/engine.js';
import { QUEUED_CALLS, WindowBatcher, type BatchEngine } from '../../src/pipeline/batcher.js';

/** A fake engine that records the shape of every call and echoes each window's first sample. */
function fakeEngine(fail = false) {
  const calls: Array<{ count: number; length: number }> = [];
  const engine: BatchEngine = {
    mode: 'pair',
    async run(ref, syn) {
      calls.push({ count: syn.length, length: syn[0]!.length });
      if (fail) throw new Error('out of memory');
      return syn.map((s, i): WindowScores => ({
        fmLayers: Float32Array.of(ref![i]![0]!),
        real: new Float32Array(1),
        fake: new Float32Array(1),
        gen: Float32Array.of(s[0]!),
      }));
    },
  };
  return { engine, calls };
}

const windowOf = (length: number, value: number) => ({ ref: new Float32Array(length).fill(-value), syn: new Float32Array(length).fill(value) });

test('windows of equal length share a call; a full queue runs at once; tags come back with their own scores', async () => {
  const { engine, calls } = fakeEngine();
  const got: Array<[number, number]> = [];
  const batcher = new WindowBatcher<number>(engine, { batchSize: 3, batchSamples: Infinity }, { scored: (tag, s) => got.push([tag, s.gen[0]!]), failed: () => {} });
  for (const [tag, length] of [[1, 100], [2, 50], [3, 100], [4, 100], [5, 50]] as const) {
    await batcher.add({ ...windowOf(length, tag), tag });
  }
  expect(calls).toEqual([{ count: 3, length: 100 }]);
  await batcher.flush();
  expect(calls).toEqual([{ count: 3, length: 100 }, { count: 2, length: 50 }]);
  expect(got.sort()).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
});

test('a queue runs once it holds a call\'s sample budget, whatever the count', async () => {
  const { engine, calls } = fakeEngine();
  const batcher = new WindowBatcher<number>(engine, { batchSize: Infinity, batchSamples: 250 }, { scored: () => {}, failed: () => {} });
  await batcher.add({ ...windowOf(100, 1), tag: 1 });
  await batcher.add({ ...windowOf(100, 2), tag: 2 });
  expect(calls).toHaveLength(0);
  await batcher.add({ ...windowOf(100, 3), tag: 3 });
  expect(calls).toEqual([{ count: 3, length: 100 }]);
  // A single window over the budget runs by itself.
  await batcher.add({ ...windowOf(300, 4), tag: 4 });
  expect(calls).toEqual([{ count: 3, length: 100 }, { count: 1, length: 300 }]);
});

test(`queued audio is bounded by ${QUEUED_CALLS} calls' worth; the emptiest queues run first, so a common length keeps filling`, async () => {
  const { engine, calls } = fakeEngine();
  const budget = 1000;
  const batcher = new WindowBatcher<number>(engine, { batchSize: Infinity, batchSamples: budget }, { scored: () => {}, failed: () => {} });
  let tag = 0;
  let added = 0;
  // A mixed corpus: full windows of 100 samples, and short files of lengths 10..59 (one window each).
  for (let file = 0; file < 50; file++) {
    await batcher.add({ ...windowOf(100, ++tag), tag });
    await batcher.add({ ...windowOf(10 + file, ++tag), tag });
    added += 100 + 10 + file;
    await batcher.relieve();
    const queued = added - calls.reduce((n, c) => n + c.count * c.length, 0);
    expect(queued).toBeLessThan(QUEUED_CALLS * budget);
  }
  await batcher.flush();
  const full = calls.filter((c) => c.length === 100);
  // Every 100-sample window ran in full calls of 10 (the budget), none cut short by the pressure of the short ones.
  expect(full.map((c) => c.count)).toEqual([10, 10, 10, 10, 10]);
  expect(calls.filter((c) => c.length !== 100).every((c) => c.count === 1)).toBe(true);
  expect(calls.reduce((n, c) => n + c.count, 0)).toBe(100);
});

test('with only a window count (--batch-size), distinct lengths are still bounded in number', async () => {
  const { engine, calls } = fakeEngine();
  const batcher = new WindowBatcher<number>(engine, { batchSize: 2, batchSamples: Infinity }, { scored: () => {}, failed: () => {} });
  for (let i = 1; i <= 20; i++) {
    await batcher.add({ ...windowOf(i, i), tag: i }); // whole files of 20 different lengths
    await batcher.relieve();
    expect(i - calls.length).toBeLessThan(QUEUED_CALLS * 2);
  }
  // The shortest waiting windows went first.
  expect(calls[0]).toEqual({ count: 1, length: 1 });
});

test('a failed engine call reports every window of that call, and the batcher carries on', async () => {
  const { engine } = fakeEngine(true);
  const failed: number[] = [];
  const batcher = new WindowBatcher<number>(engine, { batchSize: 2, batchSamples: Infinity }, { scored: () => {}, failed: (tag) => failed.push(tag) });
  await batcher.add({ ...windowOf(10, 1), tag: 1 });
  await batcher.add({ ...windowOf(10, 2), tag: 2 });
  await batcher.add({ ...windowOf(10, 3), tag: 3 });
  await batcher.flush();
  expect(failed).toEqual([1, 2, 3]);
});
