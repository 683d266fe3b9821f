import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { avgPool, periodView, waveformRows } from '../../src/engine/ops.js';
import { hannWindow, phaseCount, spectrogram } from '../../src/engine/stft.js';
import { ProtoWriter } from '../../src/engine/protobuf.js';
import { randomSignal, reflectPad, runOp } from '../helpers/graph-ops.js';

describe('protobuf writer', () => {
  test('encodes varints, negative int64 and nested messages', () => {
    const inner = new ProtoWriter().varint(1, 300);
    const bytes = new ProtoWriter().varint(1, 1).varint(2, -1).message(3, inner).finish();
    expect(Array.from(bytes)).toEqual([
      0x08, 0x01,
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
      0x1a, 0x03, 0x08, 0xac, 0x02,
    ]);
  });
});

describe('ONNX building blocks reproduce the PyTorch operations', () => {
  test.each([2, 3, 5, 7, 11])('period %i view reflect-pads the tail and puts each phase column on its own row', async (period) => {
    // Two windows (B) of two signals (S): image b·p + j, row s holds column j of signal (b, s).
    const [windows, signals, length] = [2, 2, 37];
    const x = randomSignal(windows * signals * length, period);
    const y = await runOp(x, (g, input) => periodView(g, input, period), [windows, signals, length]);
    const pad = length % period === 0 ? 0 : period - (length % period);
    const height = (length + pad) / period;
    expect(y.dims).toEqual([windows * period, 1, signals, height]);
    const data = y.data as Float32Array;
    for (let b = 0; b < windows; b++) {
      for (let s = 0; s < signals; s++) {
        const start = (b * signals + s) * length;
        const padded = reflectPad(x.subarray(start, start + length), 0, pad);
        for (let j = 0; j < period; j++) {
          for (let h = 0; h < height; h++) expect(data[((b * period + j) * signals + s) * height + h]).toBe(Math.fround(padded[h * period + j]!));
        }
      }
    }
  });

  test('AvgPool1d(4, 2, padding=2) counts the zero padding like PyTorch', async () => {
    const x = randomSignal(11, 3);
    const y = await runOp(x, (g, input) => avgPool(g, waveformRows(g, input)));
    const padded = [0, 0, ...Array.from(x), 0, 0];
    const expected = Array.from({ length: Math.floor(11 / 2) + 1 }, (_, i) => (padded[2 * i]! + padded[2 * i + 1]! + padded[2 * i + 2]! + padded[2 * i + 3]!) / 4);
    expect(y.dims).toEqual([1, 1, 1, expected.length]);
    (y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  // Both forms of the STFT (stft.ts): P = 1 is the direct DFT convolution, P > 1 the split one
  // (P phases; an odd inner size Q' = nFft / P for 60/4/40, a frame count the phases do not
  // divide evenly for most lengths). Two windows per call, each checked against its own DFT.
  test.each([
    [64, 8, 30, 2, 300],
    [64, 10, 64, 2, 301],
    [128, 12, 50, 2, 302],
    [64, 9, 30, 1, 299],
    [256, 32, 128, 8, 517],
    [96, 12, 48, 4, 310],
    [60, 4, 40, 4, 203],
  ])('STFT magnitude (n_fft %i, hop %i, win %i; %i phases) matches a direct DFT with a centred rectangular window', async (nFft, hop, win, phases, length) => {
    expect(phaseCount(nFft, hop, win)).toBe(phases);
    const windows = [randomSignal(length, nFft + win), randomSignal(length, nFft + win + 1)];
    const x = new Float32Array(2 * length);
    windows.forEach((w, b) => x.set(w, b * length));
    const y = await runOp(x, (g, input) => spectrogram(g, input, nFft, hop, win, 'test'), [2, length]);
    const pad = Math.floor((nFft - hop) / 2);
    const frames = Math.floor((length + 2 * pad - nFft) / hop) + 1;
    const bins = nFft / 2 + 1;
    const left = Math.floor((nFft - win) / 2);
    // Transposed from torch's [B, 1, bins, frames] (ops.ts, image layout).
    expect(y.dims).toEqual([2, 1, frames, bins]);
    const data = y.data as Float32Array;
    windows.forEach((w, b) => {
      const padded = reflectPad(w, pad, pad);
      for (let k = 0; k < bins; k++) {
        for (let f = 0; f < frames; f++) {
          let re = 0;
          let im = 0;
          for (let n = left; n < left + win; n++) {
            const v = padded[f * hop + n]!;
            re += v * Math.cos((2 * Math.PI * k * n) / nFft);
            im -= v * Math.sin((2 * Math.PI * k * n) / nFft);
          }
          expect(data[(b * frames + f) * bins + k]!).toBeCloseTo(Math.hypot(re, im), 4);
        }
      }
    });
  });

  test.each([
    [64, 10, 30, 2, 301],
    [256, 32, 128, 8, 517],
    [60, 7, 40, 1, 203],
  ])('Hann-windowed, centred STFT magnitude (n_fft %i, hop %i, win %i; %i phases) matches torch.stft(center=True, hann_window(win))', async (nFft, hop, win, phases, length) => {
    expect(phaseCount(nFft, hop, win)).toBe(phases);
    const windows = [randomSignal(length, nFft + win), randomSignal(length, nFft + win + 1)];
    const x = new Float32Array(2 * length);
    windows.forEach((w, b) => x.set(w, b * length));
    const framing = { reflect: nFft / 2, window: hannWindow(win) };
    const y = await runOp(x, (g, input) => spectrogram(g, input, nFft, hop, win, 'test', framing), [2, length]);
    const frames = Math.floor(length / hop) + 1;
    const bins = nFft / 2 + 1;
    const left = Math.floor((nFft - win) / 2);
    expect(y.dims).toEqual([2, 1, frames, bins]);
    const data = y.data as Float32Array;
    windows.forEach((w, b) => {
      const padded = reflectPad(w, nFft / 2, nFft / 2);
      for (let k = 0; k < bins; k++) {
        for (let f = 0; f < frames; f++) {
          let re = 0;
          let im = 0;
          for (let m = 0; m < win; m++) {
            // torch.hann_window(win) is periodic; zero-padded to n_fft it sits at `left`.
            const v = padded[f * hop + left + m]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * m) / win));
            re += v * Math.cos((2 * Math.PI * k * (left + m)) / nFft);
            im -= v * Math.sin((2 * Math.PI * k * (left + m)) / nFft);
          }
          expect(data[(b * frames + f) * bins + k]!).toBeCloseTo(Math.hypot(re, im), 4);
        }
      }
    });
  });

  test('the split form keeps the spectrogram kernels small: 0.4 M values for the four sovits5 resolutions instead of 13 M', () => {
    // The session's weights (and a cold start's kernel computation) shrink with them.
    const sizes = [[1024, 120, 600], [2048, 240, 1200], [4096, 480, 2400], [512, 50, 240]].map(([nFft, hop, win]) => {
      const g = new OnnxGraph('size');
      spectrogram(g, g.input('x', ElemType.FLOAT, [1, 'T']), nFft!, hop!, win!, 'k');
      return g.serialize(17).length;
    });
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(0.5e6 * 4);
  });
});
