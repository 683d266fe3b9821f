import { PairAccumulator } from '../../src/pipeline/aggregate.js';

test('a pair score is the plain mean over windows; fm = 2 x sum of layer means; disc = real + fake', () => {
  const acc = new PairAccumulator(['s', 'p2'], [2, 1], true);
  acc.add({ fmLayers: [1, 2, 3], real: [0.5, 1], fake: [0.1, 0.2], gen: [1, 2], melL1: 1 });
  acc.add({ fmLayers: [3, 4, 5], real: [1.5, 3], fake: [0.3, 0.4], gen: [3, 4], melL1: 3 });
  const { totals, subs } = acc.result();
  expect(acc.windows).toBe(2);
  expect(subs[0]).toEqual({ name: 's', fm: 2 * (2 + 3), gen: 2, real: 1, fake: 0.2, fmLayers: [2, 3] });
  expect(subs[1]).toEqual({ name: 'p2', fm: 2 * 4, gen: 3, real: 2, fake: 0.30000000000000004, fmLayers: [4] });
  expect(totals.fm).toBe(18);
  expect(totals.gen).toBe(5);
  expect(totals.real).toBe(3);
  expect(totals.disc).toBeCloseTo(3.5, 12);
  expect(totals.melL1).toBe(2);
});

test('reference-free accumulation leaves ref-side scores null', () => {
  const acc = new PairAccumulator(['s'], [2], false);
  acc.add({ fmLayers: [], real: [], fake: [0.25], gen: [0.5], melL1: Number.NaN });
  const { totals, subs } = acc.result();
  expect(subs[0]).toEqual({ name: 's', fm: null, gen: 0.5, real: null, fake: 0.25, fmLayers: [] });
  expect(totals).toEqual({ fm: null, gen: 0.5, real: null, fake: 0.25, disc: null, melL1: null });
});
