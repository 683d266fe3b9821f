import * as ort from 'onnxruntime-node';
import type { FeatureMap } from '../../src/engine/losses.js';
import { nativeColumns, TPRLS_TAU } from '../../src/engine/native-scores.js';
import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return scale * (s / 2147483648 - 0.4);
  });
}

async function run(g: OnnxGraph, inputs: Record<string, [Float32Array, number[]]>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(g.serialize(17));
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, new ort.Tensor('float32', data, dims)]));
  const out = await session.run(feeds);
  await session.release();
  return out.y!.data as Float32Array;
}

/** StyleTTS 2's TPRLS written plainly (torch.median: the lower middle value). */
function tprls(a: readonly number[], b: readonly number[], tau: number): number {
  const d = a.map((x, i) => x - b[i]!);
  const sorted = [...d].sort((x, y) => x - y);
  const m = sorted[Math.floor((sorted.length - 1) / 2)]!;
  let sum = 0;
  let count = 0;
  a.forEach((x, i) => {
    if (x < b[i]! + m) {
      sum += (d[i]! - m) ** 2;
      count += 1;
    }
  });
  return Math.min(count === 0 ? 0 : sum / count, tau);
}

function hinge(r: readonly number[], s: readonly number[]): number[] {
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  return [mean(r.map((x) => Math.max(0, 1 - x))), mean(s.map((x) => Math.max(0, 1 + x))), mean(s.map((x) => Math.max(0, 1 - x))), mean([...s])];
}

describe('native loss terms (native-scores.ts)', () => {
  // Windows of an even and an odd logit count each (median parity), two windows per batch.
  test.each([
    [5, 7],
    [4, 9],
  ])('image logits [B,1,%i,%i]: hinge and TPRLS per window match the upstream formulas', async (height, width) => {
    const windows = 2;
    const dims = [windows, 1, height, width];
    const n = height * width;
    const ref = randomValues(windows * n, 7 + n, 0.2);
    const syn = randomValues(windows * n, 9 + n, 0.2);
    for (const terms of ['hinge', 'tprls'] as const) {
      const g = new OnnxGraph('native');
      const sides = ['ref', 'syn'].map((name) => g.input(name, ElemType.FLOAT, ['b', 1, height, width]));
      const logits: FeatureMap = { values: sides, channels: 1, width: g.int64([width]) };
      g.exportAs(nativeColumns(g, logits, 'image', g.int64([windows]), terms), 'y', ElemType.FLOAT, [windows, 'k']);
      const y = await run(g, { ref: [ref, dims], syn: [syn, dims] });
      for (let b = 0; b < windows; b++) {
        const r = Array.from(ref.subarray(b * n, (b + 1) * n));
        const s = Array.from(syn.subarray(b * n, (b + 1) * n));
        const expected = terms === 'hinge' ? hinge(r, s) : [tprls(s, r, TPRLS_TAU), tprls(r, s, TPRLS_TAU)];
        expect(y.length).toBe(windows * expected.length);
        expected.forEach((e, c) => expect(y[b * expected.length + c]).toBeCloseTo(e, 6));
      }
    }
  });

  test('time-on-width logits [B·p, 1, 2, W]: a window is its p items, rows ref and syn', async () => {
    const [windows, period, width] = [2, 3, 6];
    const data = randomValues(windows * period * 2 * width, 5, 0.3);
    const g = new OnnxGraph('native-rows');
    const logits: FeatureMap = { values: [g.input('x', ElemType.FLOAT, ['r', 1, 2, width])], channels: 1, width: g.int64([width]) };
    g.exportAs(nativeColumns(g, logits, 'time-on-width', g.int64([windows]), 'tprls'), 'y', ElemType.FLOAT, [windows, 2]);
    const y = await run(g, { x: [data, [windows * period, 1, 2, width]] });
    for (let b = 0; b < windows; b++) {
      const r: number[] = [];
      const s: number[] = [];
      for (let item = b * period; item < (b + 1) * period; item++) {
        r.push(...data.subarray(item * 2 * width, item * 2 * width + width));
        s.push(...data.subarray(item * 2 * width + width, (item + 1) * 2 * width));
      }
      expect(y[b * 2]).toBeCloseTo(tprls(s, r, TPRLS_TAU), 6);
      expect(y[b * 2 + 1]).toBeCloseTo(tprls(r, s, TPRLS_TAU), 6);
    }
  });

  test('TPRLS is capped at tau', async () => {
    const g = new OnnxGraph('native-cap');
    const sides = ['ref', 'syn'].map((name) => g.input(name, ElemType.FLOAT, [1, 1, 1, 4]));
    g.exportAs(nativeColumns(g, { values: sides, channels: 1, width: g.int64([4]) }, 'image', g.int64([1]), 'tprls'), 'y', ElemType.FLOAT, [1, 2]);
    const y = await run(g, { ref: [Float32Array.from([0, 5, -5, 1]), [1, 1, 1, 4]], syn: [Float32Array.from([0, 0, 0, 0]), [1, 1, 1, 4]] });
    expect(Array.from(y)).toEqual([Math.fround(TPRLS_TAU), Math.fround(TPRLS_TAU)]);
  });
});
