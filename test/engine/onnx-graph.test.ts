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
