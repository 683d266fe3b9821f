import { alignmentWarning, durationWarning, fileWarnings, hasTimingWarning } from '../../src/pipeline/pair-warnings.js';

const facts = (warnings: string[]) => ({ seconds: 1, format: 'wav', sampleRate: 32000, warnings });

test('fileWarnings names the side of each decoder warning, ref first', () => {
  expect(fileWarnings({})).toEqual([]);
  expect(fileWarnings({ ref: facts([]), syn: facts([]) })).toEqual([]);
  expect(fileWarnings({ ref: facts(['a']), syn: facts(['b', 'c; ignored']) })).toEqual(['ref file: a', 'syn file: b', 'syn file: c; ignored']);
  expect(fileWarnings({ ref: null, syn: facts(['b']) })).toEqual(['syn file: b']);
});

test('hasTimingWarning tells timing warnings from file warnings, also when joined', () => {
  const duration = durationWarning(32000, 16000, 32000, null)!;
  const alignment = alignmentWarning('no clear offset: nothing to align on');
  expect(hasTimingWarning(duration)).toBe(true);
  expect(hasTimingWarning(alignment)).toBe(true);
  expect(hasTimingWarning('')).toBe(false);
  const files = fileWarnings({ syn: facts(['the last MPEG frame is cut short (3 of 417 bytes); ignored']) }).join('; ');
  expect(hasTimingWarning(files)).toBe(false);
  expect(hasTimingWarning(`${files}; ${duration}`)).toBe(true);
});
