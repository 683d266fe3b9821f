import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { attr, ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';

/** y = MatMul(x, W) + b with a large W (external) and a small b (inline). */
function affine(): OnnxGraph {
  const g = new OnnxGraph('external-test');
  const x = g.input('x', ElemType.FLOAT, ['n', 300]);
  const w = g.floatTensor('w', [300, 7], Float32Array.from({ length: 2100 }, (_, i) => Math.sin(i) / 10));
  const b = g.floatTensor('b', [7], Float32Array.from({ length: 7 }, (_, i) => i - 3));
  const sum = g.node('Add', [g.node('MatMul', [x, w]), b]);
  g.exportAs(g.node('LeakyRelu', [sum], { alpha: attr.float(0.1) }), 'y', ElemType.FLOAT, ['n', 7]);
  return g;
}

async function run(model: string | Uint8Array): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const x = Float32Array.from({ length: 600 }, (_, i) => Math.cos(i / 3));
  const out = await session.run({ x: new ort.Tensor('float32', x, [2, 300]) });
  await session.release();
  return out.y!.data as Float32Array;
}

test('serializeExternal: large initializers go to the data file, page-aligned; onnxruntime computes the same as inline', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-external-'));
  try {
    const { model, data } = affine().serializeExternal(17, 'weights.data');
    const weights = Buffer.concat(data);
    // The 8400-byte W starts at offset 0; the 28-byte b stays inline.
    expect(weights.byteLength).toBe(8400);
    expect(Buffer.from(model).includes('weights.data')).toBe(true);
    expect(model.byteLength).toBeLessThan(1000);
    writeFileSync(path.join(dir, 'model.onnx'), model);
    writeFileSync(path.join(dir, 'weights.data'), weights);
    expect(await run(path.join(dir, 'model.onnx'))).toEqual(await run(affine().serialize(17)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serializeExternal: every large initializer starts on a 4096-byte boundary of the data file', () => {
  const g = new OnnxGraph('align');
  const x = g.input('x', ElemType.FLOAT, [300]);
  const a = g.floatTensor('a', [300], new Float32Array(300).fill(1)); // 1200 bytes: external
  const c = g.floatTensor('c', [300], new Float32Array(300).fill(2)); // external, after padding
  g.exportAs(g.node('Add', [g.node('Add', [x, a]), c]), 'y', ElemType.FLOAT, [300]);
  const { data } = g.serializeExternal(17, 'w.bin');
  const file = Buffer.concat(data);
  expect(file.byteLength).toBe(4096 + 1200);
  expect(new Float32Array(file.buffer, file.byteOffset, 300).every((v) => v === 1)).toBe(true);
  expect(file.subarray(1200, 4096).every((v) => v === 0)).toBe(true);
  expect(new Float32Array(file.buffer.slice(file.byteOffset + 4096, file.byteOffset + 4096 + 1200)).every((v) => v === 2)).toBe(true);
});

describe('subgraphs (If branches)', () => {
  /**
   * y = If(n >= 0) then x·W (W an initializer of the branch, 2100 floats: external when
   * serialized so) else x·0, with n = x's first dimension: always the then-branch.
   */
  function branching(): OnnxGraph {
    const g = new OnnxGraph('if-test');
    const x = g.input('x', ElemType.FLOAT, ['n', 300]);
    const n = g.node('Shape', [x], { start: attr.int(0), end: attr.int(1) });
    const always = g.node('GreaterOrEqual', [n, g.int64([0])]);
    const taken = g.subgraph('taken', () => {
      const w = g.floatTensor('w', [300, 7], Float32Array.from({ length: 2100 }, (_, i) => Math.sin(i) / 10));
      return [{ value: g.node('MatMul', [x, w]), type: ElemType.FLOAT, dims: ['n', 7] }];
    });
    const never = g.subgraph('never', () => [{ value: g.node('MatMul', [x, g.float32(new Array(2100).fill(0), [300, 7])]), type: ElemType.FLOAT, dims: ['n', 7] }]);
    const [y] = g.nodeN('If', [always], 1, { then_branch: attr.graph(taken), else_branch: attr.graph(never) });
    g.exportAs(y!, 'y', ElemType.FLOAT, ['n', 7]);
    return g;
  }

  test('a branch reads the enclosing graph\'s values and its own initializers; onnxruntime runs it', async () => {
    const y = await run(branching().serialize(17));
    const x = Float32Array.from({ length: 600 }, (_, i) => Math.cos(i / 3));
    for (const [row, col] of [[0, 0], [1, 6], [0, 3]] as const) {
      let expected = 0;
      for (let k = 0; k < 300; k++) expected += x[row * 300 + k]! * (Math.fround(Math.sin(k * 7 + col) / 10));
      expect(y[row * 7 + col]).toBeCloseTo(expected, 4);
    }
  });

  test('serializeExternal also moves a branch\'s large initializers to the data file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-if-'));
    try {
      const { model, data } = branching().serializeExternal(17, 'w.bin');
      // W (8400 bytes) and the else-branch's zeros (8400 bytes, page-aligned after it).
      expect(Buffer.concat(data).byteLength).toBe(4096 * 3 + 8400);
      expect(model.byteLength).toBeLessThan(2000);
      writeFileSync(path.join(dir, 'model.onnx'), model);
      writeFileSync(path.join(dir, 'w.bin'), Buffer.concat(data));
      expect(await run(path.join(dir, 'model.onnx'))).toEqual(await run(branching().serialize(17)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('constants and shared values made in a branch stay in it: the next branch makes its own', () => {
    const g = new OnnxGraph('scopes');
    const outer = g.int64([5]);
    let first = '';
    let second = '';
    g.subgraph('a', () => {
      first = g.int64([5]);
      return [];
    });
    g.subgraph('b', () => {
      second = g.int64([5]);
      return [];
    });
    expect(new Set([outer, first, second]).size).toBe(3);
    expect(g.int64([5])).toBe(outer);
  });
});
