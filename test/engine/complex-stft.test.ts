import { stftFrames } from '../../src/model/geometry.js';
import { complexSpectrogram, type ComplexStft, periodicHann } from '../../src/engine/complex-stft.js';
import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { phaseCount } from '../../src/engine/stft.js';
import { randomSignal, reflectPad, runOp } from '../helpers/graph-ops.js';

/** The upstream framings written out plainly: the padded signal torch.stft frames, and the frames kept. */
function upstreamFrames(x: ArrayLike<number>, spec: ComplexStft): { signal: number[]; first: number; count: number } {
  const { nFft, hop } = spec;
  if (spec.framing === 'none') return { signal: Array.from(x), first: 0, count: Math.floor((x.length - nFft) / hop) + 1 };
  if (spec.framing === 'center') {
    const signal = reflectPad(x, nFft / 2, nFft / 2);
    return { signal, first: 0, count: Math.floor((signal.length - nFft) / hop) + 1 };
  }
  // audiotools: its own reflect padding, torch.stft's centring, then frames [2, n − 2).
  const side = (nFft - hop) / 2;
  const r = Math.ceil(x.length / hop) * hop - x.length;
  const signal = reflectPad(reflectPad(x, side, side + r), nFft / 2, nFft / 2);
  const all = Math.floor((signal.length - nFft) / hop) + 1;
  return { signal, first: 2, count: all - 4 };
}

/** float64 reference: [2, frames, bins] of the windowed DFT. */
function referenceStft(x: ArrayLike<number>, spec: ComplexStft): { re: number[][]; im: number[][] } {
  const { nFft, hop } = spec;
  const window = periodicHann(nFft);
  const norm = spec.normalized ? Math.sqrt(window.reduce((a, w) => a + w * w, 0)) : 1;
  const { signal, first, count } = upstreamFrames(x, spec);
  const re: number[][] = [];
  const im: number[][] = [];
  for (let f = first; f < first + count; f++) {
    const r: number[] = [];
    const i: number[] = [];
    for (let k = 0; k <= nFft / 2; k++) {
      let a = 0;
      let b = 0;
      for (let m = 0; m < nFft; m++) {
        const v = window[m]! * signal[f * hop + m]!;
        a += v * Math.cos((2 * Math.PI * k * m) / nFft);
        b -= v * Math.sin((2 * Math.PI * k * m) / nFft);
      }
      r.push(a / norm);
      i.push(b / norm);
    }
    re.push(r);
    im.push(i);
  }
  return { re, im };
}

describe('complex STFT (DAC, Vocos, EnCodec framings)', () => {
  const cases: [string, ComplexStft, number][] = [
    ['dac 64/16 (split)', { nFft: 64, hop: 16, framing: 'dac' }, 203],
    ['dac 64/16, T a multiple of hop', { nFft: 64, hop: 16, framing: 'dac' }, 208],
    ['center 64/16 (Vocos)', { nFft: 64, hop: 16, framing: 'center' }, 203],
    ['none 32/8 (EnCodec)', { nFft: 32, hop: 8, framing: 'none', normalized: true }, 203],
    ['none 30/5 (direct form)', { nFft: 30, hop: 5, framing: 'none' }, 101],
    ['center 18/3 (direct form)', { nFft: 18, hop: 3, framing: 'center' }, 101],
  ];
  test.each(cases)('%s matches a float64 DFT of the upstream framing, batch of 2', async (_, spec, length) => {
    const x = randomSignal(2 * length, length + spec.nFft);
    const y = await runOp(x, (g, input) => complexSpectrogram(g, input, spec, 'k'), [2, length]);
    const bins = spec.nFft / 2 + 1;
    const frames = stftFrames({ kind: 'stft', nFft: spec.nFft, hop: spec.hop, win: spec.nFft, window: 'hann', framing: spec.framing, value: 'complex' }, length);
    expect(y.dims).toEqual([2, 2, frames, bins]);
    const data = y.data as Float32Array;
    for (let b = 0; b < 2; b++) {
      const { re, im } = referenceStft(x.subarray(b * length, (b + 1) * length), spec);
      expect(re.length).toBe(frames);
      for (let f = 0; f < frames; f++) {
        for (let k = 0; k < bins; k++) {
          expect(data[((b * 2 + 0) * frames + f) * bins + k]).toBeCloseTo(re[f]![k]!, 4);
          expect(data[((b * 2 + 1) * frames + f) * bins + k]).toBeCloseTo(im[f]![k]!, 4);
        }
      }
    }
  });

  test('dac framing is only defined for hop = nFft/4 (every DAC configuration)', () => {
    const g = new OnnxGraph('t');
    expect(() => complexSpectrogram(g, g.input('x', ElemType.FLOAT, [1, 'T']), { nFft: 64, hop: 8, framing: 'dac' }, 'k')).toThrow(/hop = nFft\/4/);
  });

  test('the test sizes take both forms', () => {
    expect(phaseCount(64, 16, 64)).toBeGreaterThan(1);
    expect(phaseCount(32, 8, 32)).toBeGreaterThan(1);
    expect(phaseCount(30, 5, 30)).toBe(1);
  });
});
