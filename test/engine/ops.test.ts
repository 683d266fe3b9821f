import * as ort from 'onnxruntime-node';
import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { avgPool, periodView, spectrogram } from '../../src/engine/ops.js';
import { ProtoWriter } from '../../src/engine/protobuf.js';

/** Builds a one-input graph with `body`, runs it on x [1,1,T] and returns the output. */
async function runOp(x: Float32Array, body: (g: OnnxGraph, input: string) => string, rank = 4): Promise<ort.Tensor> {
  const g = new OnnxGraph('op-test');
  const input = g.input('x', ElemType.FLOAT, [1, 1, 'time']);
  g.exportAs(body(g, input), 'y', ElemType.FLOAT, ['d0', 'd1', 'd2', 'd3'].slice(0, rank));
  const session = await ort.InferenceSession.create(g.serialize(17));
  const out = await session.run({ x: new ort.Tensor('float32', x, [1, 1, x.length]) });
  await session.release();
  return out.y!;
}

function randomSignal(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** numpy/torch 'reflect' padding (edge sample not repeated). */
function reflectPad(x: ArrayLike<number>, left: number, right: number): number[] {
  const n = x.length;
  const at = (i: number) => x[i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i]!;
  return Array.from({ length: n + left + right }, (_, i) => at(i - left));
}

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
  test.each([2, 3, 5, 7, 11])('period %i view reflect-pads the tail and folds time', async (period) => {
    const x = randomSignal(37, period);
    const y = await runOp(x, (g, input) => periodView(g, input, period));
    const pad = 37 % period === 0 ? 0 : period - (37 % period);
    const expected = reflectPad(x, 0, pad);
    expect(y.dims).toEqual([1, 1, (37 + pad) / period, period]);
    expect(Array.from(y.data as Float32Array)).toEqual(expected.map((v) => Math.fround(v)));
  });

  test('AvgPool1d(4, 2, padding=2) counts the zero padding like PyTorch', async () => {
    const x = randomSignal(11, 3);
    const y = await runOp(x, (g, input) => avgPool(g, input), 3);
    const padded = [0, 0, ...Array.from(x), 0, 0];
    const expected = Array.from({ length: Math.floor(11 / 2) + 1 }, (_, i) => (padded[2 * i]! + padded[2 * i + 1]! + padded[2 * i + 2]! + padded[2 * i + 3]!) / 4);
    expect(y.dims).toEqual([1, 1, expected.length]);
    (y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  test.each([
    [64, 8, 30],
    [64, 10, 64],
    [128, 12, 50],
  ])('STFT magnitude (n_fft %i, hop %i, win %i) matches a direct DFT with a centred rectangular window', async (nFft, hop, win) => {
    const x = randomSignal(300, nFft + win);
    const y = await runOp(x, (g, input) => spectrogram(g, input, nFft, hop, win, 'test'));
    const pad = Math.floor((nFft - hop) / 2);
    const padded = reflectPad(x, pad, pad);
    const frames = Math.floor((padded.length - nFft) / hop) + 1;
    const bins = nFft / 2 + 1;
    const left = Math.floor((nFft - win) / 2);
    expect(y.dims).toEqual([1, 1, bins, frames]);
    const data = y.data as Float32Array;
    for (let k = 0; k < bins; k++) {
      for (let f = 0; f < frames; f++) {
        let re = 0;
        let im = 0;
        for (let n = left; n < left + win; n++) {
          const v = padded[f * hop + n]!;
          re += v * Math.cos((2 * Math.PI * k * n) / nFft);
          im -= v * Math.sin((2 * Math.PI * k * n) / nFft);
        }
        expect(data[k * frames + f]!).toBeCloseTo(Math.hypot(re, im), 4);
      }
    }
  });
});
