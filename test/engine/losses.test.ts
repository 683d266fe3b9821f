import * as ort from 'onnxruntime-node';
import { featureDistances, scoreColumns, type FeatureMap } from '../../src/engine/losses.js';
import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';

function randomValues(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.4;
  });
}

/** Runs a graph whose inputs are `inputs` (name -> [data, dims]) and returns output 'y'. */
async function run(g: OnnxGraph, inputs: Record<string, [Float32Array, number[]]>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(g.serialize(17));
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, new ort.Tensor('float32', data, dims)]));
  const out = await session.run(feeds);
  await session.release();
  return out.y!;
}

/** mean |a − b| per window over items of `itemsPerWindow` consecutive blocks of `size` values. */
function expectedDistance(pairs: (i: number) => [number, number], windows: number, perWindow: number): number[] {
  return Array.from({ length: windows }, (_, b) => {
    let sum = 0;
    for (let i = b * perWindow; i < (b + 1) * perWindow; i++) {
      const [x, y] = pairs(i);
      sum += Math.abs(x - y);
    }
    return sum / perWindow;
  });
}

describe('feature distances and scores (losses.ts)', () => {
  test('time-on-width maps: each window gets mean |row 0 − row 1| of each map, in map order, pooled or plain', async () => {
    // Two windows of three items (a period view's phase columns); maps of 16, 8 (not an NCHWc
    // block: the plain path, between pooled ones) and 16 channels, widths not a multiple of 64.
    const [windows, items] = [2, 3];
    const R = windows * items;
    const specs = [
      { channels: 16, width: 70 },
      { channels: 8, width: 70 },
      { channels: 16, width: 4100 },
    ];
    const g = new OnnxGraph('losses-test');
    const data = specs.map((s, i) => randomValues(R * s.channels * 2 * s.width, 11 + i));
    const maps: FeatureMap[] = specs.map((s, i) => ({
      values: [g.input(`m${i}`, ElemType.FLOAT, [R, s.channels, 2, 'w' + i])],
      channels: s.channels,
      width: g.int64([s.width]),
    }));
    g.exportAs(featureDistances(g, maps, 'time-on-width', g.int64([windows])), 'y', ElemType.FLOAT, [windows, specs.length]);
    const y = await run(g, Object.fromEntries(specs.map((s, i) => [`m${i}`, [data[i]!, [R, s.channels, 2, s.width]]])));
    expect(y.dims).toEqual([windows, specs.length]);
    specs.forEach((s, m) => {
      const perItem = s.channels * s.width;
      const at = (i: number): [number, number] => {
        const item = Math.floor(i / perItem);
        const c = Math.floor((i % perItem) / s.width);
        const w = i % s.width;
        const base = ((item * s.channels + c) * 2) * s.width + w;
        return [data[m]![base]!, data[m]![base + s.width]!];
      };
      expectedDistance(at, windows, items * perItem).forEach((e, b) => {
        expect(Math.abs((y.data as Float32Array)[b * specs.length + m]! - e) / e).toBeLessThan(1e-5);
      });
    });
  });

  test('branch maps (spectrogram discriminators): mean |f_ref − f_syn| per window', async () => {
    const [windows, channels, height, width] = [2, 16, 5, 33];
    const g = new OnnxGraph('losses-branches');
    const dims = [windows, channels, height, width];
    const ref = randomValues(dims.reduce((a, b) => a * b, 1), 3);
    const syn = randomValues(ref.length, 4);
    // The branch maps' equal shapes are declared, as the graph builder declares them.
    const sides = ['ref', 'syn'].map((name) => g.shape(g.node('Identity', [g.input(name, ElemType.FLOAT, ['b', channels, height, 'w'])]), ElemType.FLOAT, ['b', channels, height, 'w']));
    const map: FeatureMap = { values: sides, channels, width: g.int64([width]) };
    g.exportAs(featureDistances(g, [map], 'image', g.int64([windows])), 'y', ElemType.FLOAT, [windows, 1]);
    const y = await run(g, { ref: [ref, dims], syn: [syn, dims] });
    const perWindow = channels * height * width;
    expectedDistance((i) => [ref[i]!, syn[i]!], windows, perWindow).forEach((e, b) => {
      expect(Math.abs((y.data as Float32Array)[b]! - e) / e).toBeLessThan(1e-5);
    });
  });

  test('scores: real, gen and fake per window from the rows of a time-on-width score map', async () => {
    const [windows, items, width] = [2, 3, 40];
    const R = windows * items;
    const x = randomValues(R * 2 * width, 9);
    const g = new OnnxGraph('scores');
    const score: FeatureMap = { values: [g.input('x', ElemType.FLOAT, [R, 1, 2, 'w'])], channels: 1, width: g.int64([width]) };
    g.exportAs(scoreColumns(g, score, 'time-on-width', g.int64([windows]), true), 'y', ElemType.FLOAT, [windows, 3]);
    const y = (await run(g, { x: [x, [R, 1, 2, width]] })).data as Float32Array;
    for (let b = 0; b < windows; b++) {
      let [real, gen, fake] = [0, 0, 0];
      for (let item = b * items; item < (b + 1) * items; item++) {
        for (let w = 0; w < width; w++) {
          const r = x[(item * 2) * width + w]!;
          const s = x[(item * 2 + 1) * width + w]!;
          real += (1 - r) ** 2;
          gen += (1 - s) ** 2;
          fake += s ** 2;
        }
      }
      [real, gen, fake].forEach((e, k) => expect(Math.abs(y[b * 3 + k]! - e / (items * width)) / (e / (items * width))).toBeLessThan(1e-5));
    }
  });
});
