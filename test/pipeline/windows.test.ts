import { planWindows } from '../../src/pipeline/windows.js';
import { goldenCase } from '../helpers/golden.js';

test('windows start at 0, L, 2L, ... and the last is right-aligned', () => {
  expect(planWindows(10, 4)).toEqual([
    { start: 0, length: 4 },
    { start: 4, length: 4 },
    { start: 6, length: 4 },
  ]);
  expect(planWindows(8, 4)).toEqual([
    { start: 0, length: 4 },
    { start: 4, length: 4 },
  ]);
});

test('a signal shorter than L, or L = 0, is one window of its own length', () => {
  expect(planWindows(3, 4)).toEqual([{ start: 0, length: 3 }]);
  expect(planWindows(4, 4)).toEqual([{ start: 0, length: 4 }]);
  expect(planWindows(1234, 0)).toEqual([{ start: 0, length: 1234 }]);
  expect(planWindows(0, 4)).toEqual([]);
});

test.each(['gpt-sovits-untrained-full', 'sovits5-untrained-full'])('%s: starts equal the golden segmented starts', (name) => {
  const { expected } = goldenCase(name);
  const seg = expected.segmented!;
  expect(planWindows(expected.samples, seg.segment).map((w) => w.start)).toEqual(seg.starts);
});
