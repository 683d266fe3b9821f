import type { WindowScores } from '../../src/engine/engine.js';
import { WindowBatcher, type BatchEngine } from '../../src/pipeline/batcher.js';

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

test('the sample budget bounds queued audio across lengths', async () => {
  const { engine, calls } = fakeEngine();
  const batcher = new WindowBatcher<number>(engine, { batchSize: 100, batchSamples: 250 }, { scored: () => {}, failed: () => {} });
  await batcher.add({ ...windowOf(100, 1), tag: 1 });
  await batcher.add({ ...windowOf(90, 2), tag: 2 });
  await batcher.relieve();
  expect(calls).toHaveLength(0); // 190 samples queued, under budget
  await batcher.add({ ...windowOf(80, 3), tag: 3 });
  await batcher.relieve();
  expect(calls.map((c) => c.length).sort()).toEqual([100, 80, 90]);
  // A single queue reaching the budget runs by itself.
  await batcher.add({ ...windowOf(300, 4), tag: 4 });
  expect(calls).toHaveLength(4);
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
