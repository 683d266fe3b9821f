import { CheckpointError } from '../../src/errors.js';
import { checkFinite, findWeightSource, foldSpectralNorm, foldWeightNorm } from '../../src/checkpoint/fold.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { orderedDict, spectralNormKeys, stateDict, tensor, torchZip, weightNormKeys, type SaveValue } from '../support/checkpoint-writers/writers.js';
import { maxRelativeError, sameFloats, tinyWeights } from './helpers.js';

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

/** `fn` refuses with a CheckpointError (a usage error, exit 2, never a crash) whose message matches. */
function expectRefusal(fn: () => unknown, message: string | RegExp): void {
  expect(fn).toThrow(CheckpointError);
  expect(fn).toThrow(message);
}

describe('weight norm: w = g * v / ||v|| per output channel', () => {
  test('Conv1d [2,1,2]: hand-computed', () => {
    // channel 0: v = (3, 4), |v| = 5, g = 10 -> (6, 8); channel 1: v = (1, 0), g = -2 -> (-2, 0)
    const w = foldWeightNorm(t([2, 1, 1], [10, -2]), t([2, 1, 2], [3, 4, 1, 0]), { g: 'g', v: 'v' });
    expect(w.shape).toEqual([2, 1, 2]);
    expect([...w.data]).toEqual([6, 8, -2, -0]); // 0 * (-2 / 1) is -0, as in PyTorch
  });

  test('Conv2d [1,2,2,1]: the norm runs over every axis but the first', () => {
    // |(1,2,2,4)| = 5
    const w = foldWeightNorm(t([1, 1, 1, 1], [10]), t([1, 2, 2, 1], [1, 2, 2, 4]), { g: 'g', v: 'v' });
    expect([...w.data]).toEqual([2, 4, 4, 8]);
  });

  test('float64 accumulation: values too small to square in float32 still fold', () => {
    const w = foldWeightNorm(t([1, 1, 1], [1]), t([1, 1, 2], [3e-23, 4e-23]), { g: 'g', v: 'v' });
    expect(w.data[0]).toBeCloseTo(0.6, 6);
    expect(w.data[1]).toBeCloseTo(0.8, 6);
  });

  test('g of the wrong shape is named with the shape it should have', () => {
    expectRefusal(() => foldWeightNorm(t([3, 1, 1], [1, 2, 3]), t([2, 1, 2], [3, 4, 1, 0]), { g: 'a.weight_g', v: 'a.weight_v' }), '"a.weight_g" has shape [3, 1, 1], expected [2, 1, 1]');
  });

  test('an all-zero v row makes the weight undefined: an error, not NaN weights', () => {
    expectRefusal(() => foldWeightNorm(t([2, 1, 1], [1, 1]), t([2, 1, 2], [3, 4, 0, 0]), { g: 'g', v: 'x.weight_v' }), /"x.weight_v" has an all-zero row for output channel 1/);
  });
});

describe('spectral norm: W = W_orig / (u . W_mat v)', () => {
  test('hand-computed sigma', () => {
    // W_mat = [[1,2],[3,4]], v = (0.5, 1): W v = (2.5, 5.5); u = (1, 0.5): sigma = 2.5 + 2.75 = 5.25
    const w = foldSpectralNorm(t([2, 1, 2], [1, 2, 3, 4]), t([2], [1, 0.5]), t([2], [0.5, 1]), { weight: 'w', u: 'u', v: 'v' });
    const expected = [1, 2, 3, 4].map((x) => x / 5.25);
    expected.forEach((x, i) => expect(w.data[i]).toBeCloseTo(x, 7));
  });

  test('u and v of the wrong length are named', () => {
    const w = t([2, 1, 2], [1, 2, 3, 4]);
    expectRefusal(() => foldSpectralNorm(w, t([3], [1, 1, 1]), t([2], [1, 1]), { weight: 'w', u: 'c.weight_u', v: 'v' }), '"c.weight_u" has shape [3], expected [2]');
    expectRefusal(() => foldSpectralNorm(w, t([2], [1, 1]), t([4], [1, 1, 1, 1]), { weight: 'w', u: 'u', v: 'c.weight_v' }), '"c.weight_v" has shape [4], expected [2]');
  });

  test('sigma = 0 is an error', () => {
    expectRefusal(() => foldSpectralNorm(t([1, 1, 2], [1, -1]), t([1], [1]), t([2], [1, 1]), { weight: 'w', u: 'u', v: 'v' }), /spectral norm of "w" is 0/);
  });
});

describe('which stored tensors make up a weight', () => {
  const keysOf = (...names: string[]) => {
    const set = new Set(names.map((n) => `c.${n}`));
    return (k: string) => set.has(k);
  };
  test.each([
    [['weight', 'bias'], 'plain'],
    [['weight_g', 'weight_v'], 'weight-norm'],
    [['parametrizations.weight.original0', 'parametrizations.weight.original1'], 'weight-norm-parametrizations'],
    [['weight_orig', 'weight_u', 'weight_v'], 'spectral-norm'],
    [['parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v'], 'spectral-norm-parametrizations'],
  ])('%j -> %s', (names, form) => {
    expect(findWeightSource(keysOf(...names), 'c')?.form).toBe(form);
  });

  test('weight_v means spectral norm next to weight_orig, weight norm next to weight_g', () => {
    expect(findWeightSource(keysOf('weight_orig', 'weight_u', 'weight_v'), 'c')!.keys).toEqual(['c.weight_orig', 'c.weight_u', 'c.weight_v']);
    expect(findWeightSource(keysOf('weight_g', 'weight_v'), 'c')!.keys).toEqual(['c.weight_g', 'c.weight_v']);
  });

  test('nothing stored: undefined; half a parametrisation: the missing key is named; two forms: refused', () => {
    expect(findWeightSource(keysOf('bias'), 'c')).toBeUndefined();
    expectRefusal(() => findWeightSource(keysOf('weight_g'), 'c'), '"c.weight_g" is present but "c.weight_v" is missing');
    expectRefusal(() => findWeightSource(keysOf('weight_orig', 'weight_v'), 'c'), '"c.weight_orig" is present but "c.weight_u" is missing');
    expectRefusal(() => findWeightSource(keysOf('weight', 'weight_g', 'weight_v'), 'c'), /stored in more than one way/);
  });

  test('NaN and infinities are reported with their key', () => {
    expectRefusal(() => checkFinite('k.weight', t([3], [0, NaN, 1])), '"k.weight" contains NaN values (element 1)');
    expectRefusal(() => checkFinite('k.bias', t([2], [0, -Infinity])), /"k.bias" contains infinite values/);
    expect(() => checkFinite('k', t([2], [0, 1e38]))).not.toThrow();
  });
});

describe('folding inside a loaded checkpoint', () => {
  test('HiFi-GAN: spectral norm on msd.discriminators.0, weight norm elsewhere, both fold back to the weights', async () => {
    const sd = tinyWeights('hifigan');
    const spectral = spectralNormKeys(sd, (key, x) => key.startsWith('msd.discriminators.0.') && key.endsWith('.weight') && x.shape.length >= 2);
    const stored = weightNormKeys(spectral);
    expect(stored.has('msd.discriminators.0.convs.0.weight_orig')).toBe(true);
    expect(stored.has('msd.discriminators.0.convs.0.weight_g')).toBe(false);
    expect(stored.has('msd.discriminators.1.convs.0.weight_g')).toBe(true);
    const split = (prefix: string) => new Map([...stored].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const file = torchZip(
      new Map<string, SaveValue>([
        ['mpd', stateDict(split('mpd.'))],
        ['msd', stateDict(split('msd.'))],
        ['optim_g', new Map()],
        ['optim_d', new Map()],
        ['steps', 5],
        ['epoch', 1],
      ]),
    );
    const loaded = await loadCheckpoint(file);
    expect(loaded.info.family).toBe('hifigan');
    for (const [key, w] of sd) expect(maxRelativeError(loaded.model.weights.get(key)!, w)).toBeLessThan(2e-5);
  });

  test('a damaged weight (NaN in weight_v) fails the load with the key', async () => {
    const sd = weightNormKeys(tinyWeights('gpt-sovits'));
    const v = sd.get('discriminators.2.convs.1.weight_v')!;
    v.data[3] = NaN;
    const loading = loadCheckpoint(torchZip(new Map([['weight', stateDict(sd)]])));
    // A CheckpointError (reported as a usage error, exit 2), not a crash or NaN weights.
    await expect(loading).rejects.toBeInstanceOf(CheckpointError);
    await expect(loading).rejects.toThrow(/"discriminators.2.convs.1.weight_v" has a non-finite row for output channel 0/);
  });

  test('plain weights are used as they are', async () => {
    const sd = tinyWeights('bigvgan-v1');
    const split = (prefix: string) => new Map([...sd].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), tensor(v.shape, v.data)] as [string, SaveValue]));
    const loaded = await loadCheckpoint(torchZip(new Map([['mpd', orderedDict(split('mpd.'))], ['mrd', orderedDict(split('mrd.'))]])));
    expect(loaded.info.family).toBe('bigvgan-v1');
    for (const [key, w] of sd) expect(sameFloats(loaded.model.weights.get(key)!.data, w.data)).toBe(true);
  });
});
