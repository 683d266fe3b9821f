/**
 * GPU batching: how many windows go in one engine call (batch-policy.ts), and how a corpus of
 * mixed durations is grouped into calls (batcher.ts through scorePairs), counted with a fake
 * engine.
 */
import path from 'node:path';
import type { WindowScores } from '../../src/engine/engine.js';
import type { ScoringEngine } from '../../src/engine/open-engine.js';
import { getFamily } from '../../src/model/index.js';
import type { SubDiscriminatorSpec } from '../../src/model/types.js';
import { activationBytesPerSample, batchPolicy, DEFAULT_BATCH_MEMORY_MIB } from '../../src/pipeline/batch-policy.js';
import { scorePairs } from '../../src/pipeline/score-pairs.js';
import type { PairResult } from '../../src/scores.js';
import { writeSignal, referenceSignal, RATE } from '../helpers/pipeline-fixtures.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { tinyFamily } from '../helpers/tiny-model.js';

const MiB = 2 ** 20;

/** One strided conv and a post conv on the raw waveform: values per input sample are easy to count. */
const SIMPLE: SubDiscriminatorSpec = {
  name: 's',
  prefix: 'd',
  input: { kind: 'waveform', pool: 0 },
  slope: 0.1,
  convs: [{ in: 1, out: 4, kernel: [3], stride: [2], groups: 1, padding: [1] }],
  post: { in: 4, out: 1, kernel: [3], stride: [1], groups: 1, padding: [1] },
  norm: 'weight',
};

describe('batchPolicy', () => {
  test('feature-map bytes per sample: the input, then every conv output, in float32', () => {
    // N input values, 4 channels x N/2 after the stride-2 conv, 1 x N/2 after the post conv.
    expect(activationBytesPerSample([SIMPLE])).toBeCloseTo(4 * (1 + 4 / 2 + 1 / 2), 3);
    expect(activationBytesPerSample([SIMPLE, SIMPLE])).toBeCloseTo(2 * activationBytesPerSample([SIMPLE]), 9);
    // Full-width families hold far more per sample than their reduced-width versions.
    const full = activationBytesPerSample(getFamily('gpt-sovits').subs);
    expect(full).toBeGreaterThan(8 * activationBytesPerSample(tinyFamily('gpt-sovits').subs));
  });

  test('on a GPU a call holds as many samples as fit the memory budget, for both sides', () => {
    const subs = getFamily('sovits5').subs;
    const perSample = activationBytesPerSample(subs);
    const pair = batchPolicy({ provider: 'webgpu', subs, sides: 2 });
    expect(pair.batchSize).toBe(Number.POSITIVE_INFINITY);
    expect(pair.batchSamples).toBe(Math.floor((DEFAULT_BATCH_MEMORY_MIB * MiB) / (2 * perSample)));
    const synOnly = batchPolicy({ provider: 'webgpu', subs, sides: 1 });
    expect(synOnly.batchSamples).toBe(Math.floor((DEFAULT_BATCH_MEMORY_MIB * MiB) / perSample));
    const bigger = batchPolicy({ provider: 'cuda', subs, sides: 2, batchMemoryMiB: 4 * DEFAULT_BATCH_MEMORY_MIB });
    expect(bigger.batchSamples).toBe(Math.floor((4 * DEFAULT_BATCH_MEMORY_MIB * MiB) / (2 * perSample)));
    // A budget below one sample still lets one window through at a time.
    expect(batchPolicy({ provider: 'webgpu', subs, sides: 2, batchMemoryMiB: 1e-9 }).batchSamples).toBe(1);
  });

  test('on CPU one window per call; a --batch-size given wins everywhere', () => {
    const subs = getFamily('hifigan').subs;
    expect(batchPolicy({ provider: 'cpu', subs, sides: 2 })).toEqual({ batchSize: 1, batchSamples: Number.POSITIVE_INFINITY });
    expect(batchPolicy({ provider: 'webgpu', subs, sides: 2, batchSize: 3 })).toEqual({ batchSize: 3, batchSamples: Number.POSITIVE_INFINITY });
    expect(batchPolicy({ provider: 'cpu', subs, sides: 1, batchSize: 5, batchMemoryMiB: 1 })).toEqual({ batchSize: 5, batchSamples: Number.POSITIVE_INFINITY });
  });
});

describe('a mixed-duration corpus on a GPU', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('batching');
  });
  afterAll(() => removeDir(root));

  test('full windows of every file share calls up to the budget; short files wait for company; nothing is padded', async () => {
    const rate = 8000;
    const segment = 800; // 0.1 s windows
    // 12 files: 8 of 0.25 s (3 windows of 800 each), and short ones of 0.05 s (twice), 0.06 s and 0.07 s.
    const durations = [0.25, 0.05, 0.25, 0.25, 0.06, 0.25, 0.05, 0.25, 0.25, 0.07, 0.25, 0.25];
    const pairs = [];
    for (const [i, seconds] of durations.entries()) {
      const signal = referenceSignal(Math.round(seconds * RATE), i + 1);
      await writeSignal(path.join(root, 'ref', `${i}.wav`), signal);
      await writeSignal(path.join(root, 'syn', `${i}.wav`), signal.map((v) => 0.9 * v));
      pairs.push({ key: String(i), ref: path.join(root, 'ref', `${i}.wav`), syn: path.join(root, 'syn', `${i}.wav`) });
    }
    const calls: Array<{ count: number; length: number }> = [];
    const engine: ScoringEngine = {
      mode: 'pair',
      provider: 'webgpu',
      adapter: null,
      layerCounts: [1],
      async run(ref, syn) {
        expect(ref!.map((w) => w.length)).toEqual(syn.map((w) => w.length));
        calls.push({ count: syn.length, length: syn[0]!.length });
        return syn.map((w): WindowScores => ({ fmLayers: Float32Array.of(w.length), real: Float32Array.of(0), fake: Float32Array.of(0), gen: Float32Array.of(1) }));
      },
      dispose: async () => {},
    };
    const results: PairResult[] = [];
    for await (const result of scorePairs(pairs, {
      engine,
      subNames: ['s'],
      sampleRate: rate,
      segment,
      align: 'none',
      maxOffset: 0,
      minimumLength: 1,
      // A budget of 5 full windows per call.
      batchSize: Number.POSITIVE_INFINITY,
      batchSamples: 5 * segment,
    })) {
      results.push(result);
    }
    expect(results.map((r) => r.status)).toEqual(durations.map(() => 'ok'));
    // The fake's layer distance is the window's length, so fm = 2 x the mean window length:
    // short files were scored at their own length.
    const fmOf = (key: string) => results.find((r) => r.key === key)!.subs[0]!.fm;
    expect(fmOf('1')).toBe(2 * 400);
    expect(fmOf('4')).toBe(2 * 480);
    expect(fmOf('9')).toBe(2 * 560);
    expect(fmOf('0')).toBe(2 * 800);
    // 24 full windows in calls of 5 (the last call takes the rest), across files.
    const full = calls.filter((c) => c.length === segment);
    expect(full.reduce((n, c) => n + c.count, 0)).toBe(24);
    expect(full.map((c) => c.count)).toEqual([5, 5, 5, 5, 4]);
    // The two 0.05 s files share one call; the others run alone.
    expect(calls.filter((c) => c.length !== segment).sort((a, b) => a.length - b.length)).toEqual([
      { count: 2, length: 400 },
      { count: 1, length: 480 },
      { count: 1, length: 560 },
    ]);
  });
});
