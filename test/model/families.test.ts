import { convEntries, FAMILIES, familyReadBuffers, featureCount, findFamily, getFamily, minimumWindow, requiredKeys, resolveModel, untrainedWeights } from '../../src/model/index.js';
import { CheckpointError } from '../../src/errors.js';
import { goldenCase } from '../helpers/golden.js';

type GoldenConv = [number, number, number | number[], number | number[], number, number | number[]];
const arr = (v: number | number[]) => (Array.isArray(v) ? v : [v]);

describe.each([
  ['gpt-sovits-untrained-full', 'gpt-sovits'],
  ['sovits5-untrained-full', 'sovits5'],
])('%s: the family table at full size is the golden architecture', (caseName, familyName) => {
  test('sub names, prefixes, slopes, inputs and every conv row', () => {
    const golden = goldenCase(caseName).expected as unknown as {
      architecture: { subs: Array<{ name: string; prefix: string; slope: number; type: string; period?: number; n_fft?: number; hop?: number; win?: number; pool?: number; convs: GoldenConv[]; post: GoldenConv }> };
    };
    const family = getFamily(familyName);
    expect(family.subs.map((s) => s.name)).toEqual(golden.architecture.subs.map((s) => s.name));
    family.subs.forEach((sub, i) => {
      const g = golden.architecture.subs[i]!;
      expect(sub.prefix).toBe(g.prefix);
      expect(sub.slope).toBe(g.slope);
      if (sub.input.kind === 'period') expect(sub.input.period).toBe(g.period);
      if (sub.input.kind === 'resolution') expect([sub.input.nFft, sub.input.hop, sub.input.win]).toEqual([g.n_fft, g.hop, g.win]);
      if (sub.input.kind === 'waveform') expect(sub.input.pool).toBe(g.pool);
      const rows = [...sub.convs, sub.post].map((c) => [c.in, c.out, c.kernel, c.stride, c.groups, c.padding]);
      expect(rows).toEqual([...g.convs, g.post].map((c) => [c[0], c[1], arr(c[2]), arr(c[3]), c[4], arr(c[5])]));
    });
  });
});

test('every family has unique sub names and resolves its own untrained weights', () => {
  for (const family of FAMILIES) {
    const names = family.subs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const convs = family.subs.reduce((n, s) => n + convEntries(s).length, 0);
    const buffers = familyReadBuffers(family);
    expect(requiredKeys(family).length).toBe(2 * convs + buffers.length);
    // Untrained weights carry the derived transform buffers (BigVGAN v2's CQT kernels).
    const untrained = untrainedWeights(family, 0);
    for (const key of buffers) expect(untrained.has(key)).toBe(true);
    const model = resolveModel(family, untrained);
    expect(model.subs).toHaveLength(family.subs.length);
    const withoutBuffer = new Map(untrained);
    if (buffers[0]) {
      withoutBuffer.delete(buffers[0]);
      expect(() => resolveModel(family, withoutBuffer)).toThrow(/missing buffer/);
    }
  }
});

test('key templates, chunk convs and bands expand into checkpoint keys in upstream order', () => {
  const cqt = getFamily('bigvgan-v2').subs.find((s) => s.name === 'cqt256x36')!;
  const bases = convEntries(cqt).map((e) => e.base);
  expect(bases.slice(0, 2)).toEqual(['mrd.discriminators.1.conv_pres.0', 'mrd.discriminators.1.conv_pres.1']);
  expect(bases.slice(9)).toEqual([0, 1, 2, 3, 4].map((i) => `mrd.discriminators.1.convs.${i}`).concat('mrd.discriminators.1.conv_post'));
  expect(featureCount(cqt)).toBe(5);
  expect(cqt.convs[2]!.dilation).toEqual([2, 1]);
  expect(cqt.convs[0]!.norm).toBe('none');
  const spec = getFamily('styletts2').subs.find((s) => s.name === 'r2048')!;
  expect(convEntries(spec).map((e) => e.base)).toEqual([0, 1, 2, 3, 4].map((i) => `msd.discriminators.1.discriminators.${i}`).concat('msd.discriminators.1.out'));
  expect(featureCount(spec)).toBe(6);
  expect(getFamily('styletts2').ignored).toEqual(['wd.']);
  // A banded sub (the DAC/Vocos layout): the stack once per band, band by band, then the shared post.
  const banded = { ...spec, keys: { conv: 'band_convs.{b}.{i}.0', post: 'conv_post' }, bands: { fractions: [[0, 0.5], [0.5, 1]] as const }, features: { skipFirst: 1, post: true } };
  const keys = convEntries(banded).map((e) => e.base.replace('msd.discriminators.1.', ''));
  expect(keys).toEqual([...[0, 1, 2, 3, 4].map((i) => `band_convs.0.${i}.0`), ...[0, 1, 2, 3, 4].map((i) => `band_convs.1.${i}.0`), 'conv_post']);
  expect(featureCount(banded)).toBe(2 * 4 + 1);
});

test('aliases and unknown names', () => {
  expect(findFamily('VITS')?.name).toBe('gpt-sovits');
  expect(findFamily('hifi-gan')?.name).toBe('hifigan');
  expect(findFamily('nope')).toBeUndefined();
  expect(() => getFamily('nope')).toThrow(/known families: gpt-sovits, gpt-sovits-v2pro, sovits5, hifigan, bigvgan-v1/);
});

test('resolution reads widths and groups off shapes and names a missing or misshapen key', () => {
  const family = getFamily('gpt-sovits');
  const weights = untrainedWeights(family, 0);
  const missing = new Map(weights);
  missing.delete('discriminators.3.convs.2.weight');
  expect(() => resolveModel(family, missing)).toThrow(CheckpointError);
  expect(() => resolveModel(family, missing)).toThrow(/missing key "discriminators.3.convs.2.weight" \(expected shape \[out, in\/groups, 5, 1\]\)/);
  const wrong = new Map(weights);
  wrong.set('discriminators.0.convs.0.weight', { shape: [16, 1, 13], data: new Float32Array(16 * 13) });
  expect(() => resolveModel(family, wrong)).toThrow(/has shape \[16, 1, 13\], expected \[out, in\/groups, 15\]/);
});

test('minimum window lengths follow reflect padding and STFT framing', () => {
  expect(minimumWindow(getFamily('sovits5').subs)).toBe(1809); // r4096: pad (4096-480)/2 = 1808
  expect(minimumWindow(getFamily('gpt-sovits').subs)).toBe(11);
  expect(minimumWindow(getFamily('gpt-sovits-v2pro').subs)).toBe(23);
  expect(minimumWindow(getFamily('bigvgan-v1').subs)).toBe(905);
  expect(minimumWindow(getFamily('styletts2').subs)).toBe(1025); // r2048: centre pad 1024
  // Every CQT octave needs a sample: 2T halved 8 times by the 256-tap lowpass.
  expect(minimumWindow(getFamily('bigvgan-v2').subs)).toBe(128);
});
