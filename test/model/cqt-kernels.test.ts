/** The derived CQT-D buffers are the ones BigVGAN v2 (torchaudio + nnAudio) stores, bit for bit. */
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { cqtKernels, cqtLengths, cqtLowpassFilter, cqtRateOf, derivedBuffers, resampleKernel2x } from '../../src/model/cqt-kernels.js';
import { featureValues } from '../../src/model/index.js';
import { goldenCase } from '../helpers/golden.js';

test('the golden bigvgan-v2 checkpoint stores exactly the derived resampler, lowpass, kernels and lengths (24 kHz config)', async () => {
  const golden = goldenCase('bigvgan-v2');
  const { model } = await loadCheckpoint(golden.checkpoint!, { family: 'bigvgan-v2' });
  const cqtSubs = model.subs.filter((s) => s.input.kind === 'cqt');
  expect(cqtSubs).toHaveLength(3);
  let compared = 0;
  for (const sub of cqtSubs) {
    const derived = derivedBuffers(sub, golden.expected.sample_rate);
    expect(derived.size).toBe(5);
    for (const [key, tensor] of derived) {
      const stored = model.weights.get(key)!;
      expect(tensor.shape).toEqual(stored.shape);
      // Equal values (a window's zero tap may carry the other sign of zero).
      const differing = tensor.data.findIndex((v, i) => v !== stored.data[i]);
      expect([key, differing]).toEqual([key, -1]);
      compared++;
    }
  }
  expect(compared).toBe(15);
});

test('shapes follow the rate: longer kernels at 44.1 kHz, the same resampler and lowpass', () => {
  expect(resampleKernel2x().shape).toEqual([2, 1, 15]);
  expect(cqtLowpassFilter().shape).toEqual([1, 1, 256]);
  // 2·44100 Hz: ceil(Q·88200/f) at the lowest top-octave bin exceeds 512 for 36 bins per octave.
  expect(cqtKernels(88200, 24, 9).real.shape).toEqual([24, 1, 512]);
  expect(cqtKernels(88200, 36, 9).real.shape).toEqual([36, 1, 1024]);
  expect(cqtKernels(48000, 48, 9).lengths.shape).toEqual([432]);
});

test('memory estimates cover every map the golden CQT subs produce (feature maps, logits)', async () => {
  const golden = goldenCase('bigvgan-v2');
  const { model } = await loadCheckpoint(golden.checkpoint!, { family: 'bigvgan-v2' });
  const expected = golden.expected as unknown as { samples: number; subs: { name: string; fmap_shapes: number[][]; logits_shape: number[] }[] };
  for (const sub of model.subs.filter((s) => s.input.kind === 'cqt')) {
    const shapes = expected.subs.find((s) => s.name === sub.name)!;
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const maps = shapes.fmap_shapes.reduce((sum, s) => sum + size(s), 0) + size(shapes.logits_shape);
    const estimate = featureValues(sub, expected.samples);
    expect(estimate).toBeGreaterThanOrEqual(maps);
    expect(estimate).toBeLessThan(2 * maps);
  }
});

test('the stored CQT lengths tell the rate a BigVGAN v2 checkpoint was made for', async () => {
  const golden = goldenCase('bigvgan-v2');
  const { model } = await loadCheckpoint(golden.checkpoint!);
  for (const sub of model.subs.filter((s) => s.input.kind === 'cqt')) {
    expect(cqtRateOf(sub, model.weights.get(`${sub.prefix}.cqt_transform.lenghts`)!)).toBe(golden.expected.sample_rate);
    for (const rate of [22050, 44100]) {
      const input = sub.input as { binsPerOctave: number; octaves: number };
      expect(cqtRateOf(sub, cqtLengths(2 * rate, input.binsPerOctave, input.octaves))).toBe(rate);
    }
    expect(cqtRateOf(sub, { shape: [3], data: new Float32Array([1, 2, 3]) })).toBeNull();
  }
});
