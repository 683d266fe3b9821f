import { FAMILIES, findFamily, getFamily, minimumWindow, requiredKeys, resolveModel, untrainedWeights } from '../../src/model/index.js';
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
    const model = resolveModel(family, untrainedWeights(family, 0));
    expect(model.subs).toHaveLength(family.subs.length);
    expect(requiredKeys(family).length).toBe(family.subs.reduce((n, s) => n + 2 * (s.convs.length + 1), 0));
  }
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
});
