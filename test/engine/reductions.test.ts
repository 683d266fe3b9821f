import * as ort from 'onnxruntime-node';
import { attr, ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { meanPerWindow, paddedRowMeans, paddedToTrue } from '../../src/engine/reductions.js';

// Looked up once: tens of millions of test values, and each lookup of the global `Math` in the
// test realm costs 40x the multiply (see src/audio/mel.ts).
const { imul } = Math;

/** Runs mean-per-window graphs on x [R, C, H, W] holding `windows` windows; returns [B] means. */
async function means(x: Float32Array, dims: readonly number[], windows: number, build: (g: OnnxGraph, x: string, w: string) => string): Promise<Float32Array> {
  const g = new OnnxGraph('reduction-test');
  const input = g.input('x', ElemType.FLOAT, ['r', 'c', 'h', 'w']);
  const count = g.node('Shape', [input], { start: attr.int(0), end: attr.int(1) });
  const w = g.node('Div', [count, g.int64([dims[0]! / windows])]);
  g.exportAs(build(g, input, w), 'y', ElemType.FLOAT, ['b', 1]);
  const session = await ort.InferenceSession.create(g.serialize(17));
  const out = await session.run({ x: new ort.Tensor('float32', x, [...dims]) });
  await session.release();
  return out.y!.data as Float32Array;
}

test('the mean per window stays accurate over a spectrogram-sized window (16 M values)', async () => {
  // Two windows of [32, 256, 1024] values near 0.2, like the first layer of a spectrogram
  // discriminator on a 2 s window; exact means from float64 sums.
  const dims = [2, 32, 256, 1024];
  const size = dims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size);
  let s = 12345;
  for (let i = 0; i < size; i++) {
    s = (imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = 0.2 + 0.1 * (s / 4294967296);
  }
  const half = size / 2;
  const exact = [0, 1].map((b) => {
    let sum = 0;
    for (let i = b * half; i < (b + 1) * half; i++) sum += x[i]!;
    return sum / half;
  });
  const ours = await means(x, dims, 2, (g, input, w) => meanPerWindow(g, input, w));
  ours.forEach((m, b) => expect(Math.abs(m - exact[b]!) / exact[b]!).toBeLessThan(1e-5));

  // What this guards against: one float32 ReduceMean over the whole window.
  const single = await means(x, dims, 2, (g, input, w) => {
    const flat = g.node('Reshape', [input, g.node('Concat', [w, g.int64([-1])], { axis: attr.int(0) })]);
    return g.node('ReduceMean', [flat], { axes: attr.ints([1]), keepdims: attr.int(0) });
  });
  const drift = Math.max(...Array.from(single, (m, b) => Math.abs(m - exact[b]!) / exact[b]!));
  const ourError = Math.max(...Array.from(ours, (m, b) => Math.abs(m - exact[b]!) / exact[b]!));
  expect(ourError).toBeLessThan(drift);
});

test('row means in chunks stay accurate over a 40 s row where one global pool drifts', async () => {
  // [1, 16, 1, W]: 16 channels (an NCHWc block) of a row as long as 40 s at 32 kHz, plus one
  // sample so the last chunk is partial.
  const width = 32000 * 40 + 1;
  const dims = [1, 16, 1, width];
  const x = new Float32Array(16 * width);
  let s = 99;
  for (let i = 0; i < x.length; i++) {
    s = (imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = 0.01 + 0.02 * (s / 4294967296);
  }
  const exact = Array.from({ length: 16 }, (_, c) => {
    let sum = 0;
    for (let i = c * width; i < (c + 1) * width; i++) sum += x[i]!;
    return sum / width;
  });
  const run = async (build: (g: OnnxGraph, input: string, w: string) => string) => {
    const g = new OnnxGraph('row-means-test');
    const input = g.input('x', ElemType.FLOAT, [1, 16, 1, 'w']);
    const w = g.node('Shape', [input], { start: attr.int(3), end: attr.int(4) });
    g.exportAs(build(g, input, w), 'y', ElemType.FLOAT, [1, 16, 1, 1]);
    const session = await ort.InferenceSession.create(g.serialize(17));
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
    await session.release();
    return out.y!.data as Float32Array;
  };
  const worst = (m: Float32Array) => Math.max(...Array.from(m, (v, c) => Math.abs(v - exact[c]!) / exact[c]!));
  const ours = await run((g, input, w) => g.node('Mul', [paddedRowMeans(g, input), paddedToTrue(g, w)]));
  const global = await run((g, input) => g.node('GlobalAveragePool', [input]));
  expect(worst(ours)).toBeLessThan(1e-6);
  expect(worst(ours)).toBeLessThan(worst(global));
});
