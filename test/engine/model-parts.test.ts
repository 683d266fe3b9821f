import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { branchOfModel } from '../../src/engine/model-parts.js';
import { attr, ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { bufferSource, isMessage, readFields } from '../../src/engine/protobuf-reader.js';

/** relu(conv3x3(x) + b), 16 channels: onnxruntime's optimizer rewrites it into its NCHWc layout ops. */
function convGraph(): OnnxGraph {
  const g = new OnnxGraph('part');
  const x = g.input('x', ElemType.FLOAT, ['n', 16, 'h', 'w']);
  const w = g.floatTensor('conv.weight', [16, 16, 3, 3], Float32Array.from({ length: 2304 }, (_, i) => Math.sin(i * 0.37) / 8));
  const b = g.floatTensor('conv.bias', [16], Float32Array.from({ length: 16 }, (_, i) => i / 20));
  g.exportAs(g.node('Relu', [g.node('Conv', [x, w, b], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) })]), 'part/y', ElemType.FLOAT, ['n', 16, 'h', 'w']);
  return g;
}

async function run(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  const x = Float32Array.from({ length: 2 * 16 * 9 * 11 }, (_, i) => Math.cos(i / 7));
  const out = await session.run({ x: new ort.Tensor('float32', x, [2, 16, 9, 11]) });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe('optimized models as If branches (model-parts.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-parts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** convGraph optimized by onnxruntime into part.onnx, its weights in part.bin. */
  async function optimizedPart(): Promise<string> {
    writeFileSync(path.join(dir, 'source.onnx'), convGraph().serialize(17));
    const target = path.join(dir, 'part.onnx');
    const session = await ort.InferenceSession.create(path.join(dir, 'source.onnx'), {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: target,
      extra: { 'session.optimized_model_external_initializers_file_name': 'part.bin', 'session.optimized_model_external_initializers_min_size_in_bytes': '64' },
    });
    await session.release();
    return target;
  }

  test('the branch has no inputs, reads its weights from the combined file at the offset given, and keeps the model\'s operator sets', async () => {
    const branch = branchOfModel(await optimizedPart(), { from: 'part.bin', to: 'weights.bin', offset: 65536 });
    const source = bufferSource(branch.graph);
    const fields = readFields(source);
    expect(fields.some((f) => isMessage(f, 11))).toBe(false);
    expect(fields.filter((f) => isMessage(f, 12))).toHaveLength(1);
    const text = Buffer.from(branch.graph).toString('latin1');
    expect(text).toContain('weights.bin');
    expect(text).not.toContain('part.bin');
    expect(branch.opsets.map((o) => o.domain)).toContain('');
  });

  test('a model assembled from the branch and the copied weights computes what the unoptimized graph does', async () => {
    const part = await optimizedPart();
    const offset = 65536;
    const branch = branchOfModel(part, { from: 'part.bin', to: 'weights.bin', offset });
    const data = readFileSync(path.join(dir, 'part.bin'));
    const combined = Buffer.alloc(offset + data.byteLength);
    data.copy(combined, offset);
    writeFileSync(path.join(dir, 'weights.bin'), combined);
    rmSync(path.join(dir, 'part.bin'));

    const g = new OnnxGraph('assembled', 'assembly/');
    const x = g.input('x', ElemType.FLOAT, ['n', 16, 'h', 'w']);
    g.importOpsets(branch.opsets);
    const always = g.node('GreaterOrEqual', [g.node('Shape', [x], { start: attr.int(0), end: attr.int(1) }), g.int64([0])]);
    const never = g.subgraph('never', () => [{ value: g.node('Mul', [x, g.float32([0])]), type: ElemType.FLOAT, dims: ['n', 16, 'h', 'w'] }]);
    const [y] = g.nodeN('If', [always], 1, { then_branch: attr.graph({ encoded: branch.graph }), else_branch: attr.graph(never) });
    g.exportAs(y!, 'y', ElemType.FLOAT, ['n', 16, 'h', 'w']);
    writeFileSync(path.join(dir, 'model.onnx'), g.serialize(17));
    expect(statSync(path.join(dir, 'model.onnx')).size).toBeLessThan(10_000);

    const assembled = await run(path.join(dir, 'model.onnx'), { graphOptimizationLevel: 'disabled' });
    const reference = await run(convGraph().serialize(17));
    assembled.forEach((v, i) => expect(Math.abs(v - reference[i]!)).toBeLessThan(1e-5));
  });

  test('a model whose weights are in another file than the one named is refused', async () => {
    const part = await optimizedPart();
    expect(() => branchOfModel(part, { from: 'other.bin', to: 'weights.bin', offset: 0 })).toThrow(/reads "part.bin", not "other.bin"/);
  });
});
