import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { attr, ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';
import { dropDuplicateInitializers, repairModelFile } from '../../src/engine/optimized-model.js';
import { ProtoWriter } from '../../src/engine/protobuf.js';
import { bufferSource, isMessage, readFields, withFileSource } from '../../src/engine/protobuf-reader.js';

describe('protobuf reader', () => {
  test('reads back what the writer wrote: varints (large and negative int64), fixed32, nested messages', () => {
    const inner = new ProtoWriter().string(1, 'name').varint(2, 2 ** 40);
    const bytes = new ProtoWriter().varint(1, 300).varint(2, -1).float(3, 1.5).message(4, inner).finish();
    const source = bufferSource(bytes);
    const fields = readFields(source);
    expect(fields.map((f) => [f.field, f.wireType])).toEqual([[1, 0], [2, 0], [3, 5], [4, 2]]);
    expect(fields[0]!.value).toBe(300);
    expect(fields[2]!.end - fields[2]!.start).toBe(5);
    const nested = readFields(source, fields[3]!.payloadStart, fields[3]!.end);
    expect(isMessage(nested[0]!, 1)).toBe(true);
    expect(Buffer.from(source.bytes(nested[0]!.payloadStart, nested[0]!.end)).toString()).toBe('name');
    expect(nested[1]!.value).toBe(2 ** 40);
    // Every field's range re-encodes the message exactly.
    expect(Buffer.concat(fields.map((f) => source.bytes(f.start, f.end)))).toEqual(Buffer.from(bytes));
  });

  test.each([
    ['a length past the end', Uint8Array.from([0x0a, 0x05, 0x61])],
    ['a truncated varint', Uint8Array.from([0x08, 0x80])],
    ['a group wire type', Uint8Array.from([0x0b, 0x0c])],
    ['field number 0', Uint8Array.from([0x00, 0x01])],
  ])('refuses malformed data: %s', (_, bytes) => {
    expect(() => readFields(bufferSource(bytes))).toThrow(/malformed protobuf/);
  });

  test('a file source reads the same fields piecewise', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-proto-'));
    try {
      const bytes = new ProtoWriter().string(1, 'a'.repeat(5000)).varint(2, 7).finish();
      writeFileSync(path.join(dir, 'm.pb'), bytes);
      const fields = withFileSource(path.join(dir, 'm.pb'), (source) => readFields(source).map((f) => [f.field, f.end - f.start, f.value]));
      expect(fields).toEqual(readFields(bufferSource(bytes)).map((f) => [f.field, f.end - f.start, f.value]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * y = If(always) then relu(conv3x3(x)) — 16 channels, so that onnxruntime's NCHWc layout
 * rewrites it inside the branch — else x·0. The conv's weights are the branch's own.
 */
function convInBranch(): OnnxGraph {
  const g = new OnnxGraph('if-conv');
  const x = g.input('x', ElemType.FLOAT, ['n', 16, 'h', 'w']);
  const always = g.node('GreaterOrEqual', [g.node('Shape', [x], { start: attr.int(2), end: attr.int(3) }), g.int64([0])]);
  const taken = g.subgraph('taken', () => {
    const w = g.floatTensor('conv.weight', [16, 16, 3, 3], Float32Array.from({ length: 2304 }, (_, i) => Math.sin(i * 0.37) / 8));
    const b = g.floatTensor('conv.bias', [16], Float32Array.from({ length: 16 }, (_, i) => i / 20));
    const y = g.node('Relu', [g.node('Conv', [x, w, b], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) })]);
    return [{ value: y, type: ElemType.FLOAT, dims: ['n', 16, 'h', 'w'] }];
  });
  const never = g.subgraph('never', () => [{ value: g.node('Mul', [x, g.float32([0])]), type: ElemType.FLOAT, dims: ['n', 16, 'h', 'w'] }]);
  const [y] = g.nodeN('If', [always], 1, { then_branch: attr.graph(taken), else_branch: attr.graph(never) });
  g.exportAs(y!, 'y', ElemType.FLOAT, ['n', 16, 'h', 'w']);
  return g;
}

async function runConv(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  const x = Float32Array.from({ length: 2 * 16 * 9 * 11 }, (_, i) => Math.cos(i / 7));
  const out = await session.run({ x: new ort.Tensor('float32', x, [2, 16, 9, 11]) });
  await session.release();
  return out.y!.data as Float32Array;
}

/** Initializer names per graph level, main graph first. */
function initializerNames(model: Uint8Array): string[][] {
  const source = bufferSource(model);
  const levels: string[][] = [];
  const graph = (start: number, end: number) => {
    const names: string[] = [];
    levels.push(names);
    for (const f of readFields(source, start, end)) {
      if (isMessage(f, 5)) {
        const name = readFields(source, f.payloadStart, f.end).find((t) => isMessage(t, 8))!;
        names.push(Buffer.from(source.bytes(name.payloadStart, name.end)).toString());
      } else if (isMessage(f, 1)) {
        for (const a of readFields(source, f.payloadStart, f.end).filter((n) => isMessage(n, 5))) {
          for (const g of readFields(source, a.payloadStart, a.end).filter((v) => isMessage(v, 6))) graph(g.payloadStart, g.end);
        }
      }
    }
  };
  const main = readFields(source).find((f) => isMessage(f, 7))!;
  graph(main.payloadStart, main.end);
  return levels;
}

describe('the optimized-model repair (optimized-model.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-optimized-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('an optimized model with a branch, saved with external weights, loads once repaired: same outputs, one copy per name, no other file read', async () => {
    // As the session cache does it: the source graph with its weights in a file of its own,
    // optimized into model.onnx + weights.bin, the source's files removed afterwards.
    const { model, data } = convInBranch().serializeExternal(17, 'source.bin');
    writeFileSync(path.join(dir, 'source.onnx'), model);
    writeFileSync(path.join(dir, 'source.bin'), Buffer.concat(data));
    const optimized = path.join(dir, 'model.onnx');
    const optimizing = await ort.InferenceSession.create(path.join(dir, 'source.onnx'), {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: optimized,
      extra: { 'session.optimized_model_external_initializers_file_name': 'weights.bin' },
    });
    await optimizing.release();
    rmSync(path.join(dir, 'source.onnx'));
    rmSync(path.join(dir, 'source.bin'));

    // onnxruntime's own file has the stale copies (it refuses to load it); the repair drops them.
    expect(repairModelFile(optimized, 'weights.bin')).toBeGreaterThan(0);
    for (const names of initializerNames(readFileSync(optimized))) expect(new Set(names).size).toBe(names.length);
    const loaded = await runConv(optimized, { graphOptimizationLevel: 'disabled' });
    const reference = await runConv(convInBranch().serialize(17));
    loaded.forEach((v, i) => expect(Math.abs(v - reference[i]!)).toBeLessThan(1e-5));
    // Repairing twice changes nothing.
    expect(repairModelFile(optimized, 'weights.bin')).toBe(0);
  });

  test('of two copies under one name the one in the data file is kept, wherever it comes in the list', () => {
    for (const externalFirst of [true, false]) {
      const g = new OnnxGraph('dup');
      const x = g.input('x', ElemType.FLOAT, [300]);
      g.exportAs(g.node('Add', [x, g.floatTensor('w', [300], new Float32Array(300).fill(2))]), 'y', ElemType.FLOAT, [300]);
      const external = g.serializeExternal(17, 'weights.bin').model;
      const inline = g.serialize(17);
      // The graph with both initializer entries of `w`, the external one first or second.
      const initializerOf = (bytes: Uint8Array) => {
        const source = bufferSource(bytes);
        const graph = readFields(source).find((f) => isMessage(f, 7))!;
        return readFields(source, graph.payloadStart, graph.end).find((f) => isMessage(f, 5))!;
      };
      const source = bufferSource(external);
      const graph = readFields(source).find((f) => isMessage(f, 7))!;
      const rebuilt = new ProtoWriter();
      for (const f of readFields(source, graph.payloadStart, graph.end)) {
        if (!isMessage(f, 5)) {
          rebuilt.raw(source.bytes(f.start, f.end));
          continue;
        }
        const inlineField = initializerOf(inline);
        const copies = [source.bytes(f.start, f.end), bufferSource(inline).bytes(inlineField.start, inlineField.end)];
        for (const c of externalFirst ? copies : copies.reverse()) rebuilt.raw(c);
      }
      const model = new ProtoWriter();
      for (const f of readFields(source)) model.raw(isMessage(f, 7) ? new ProtoWriter().message(7, rebuilt).finish() : source.bytes(f.start, f.end));
      const { model: repaired, dropped } = dropDuplicateInitializers(bufferSource(model.finish()), 'weights.bin');
      expect(dropped).toBe(1);
      expect(Buffer.from(repaired!).includes('weights.bin')).toBe(true);
      expect(repaired!.byteLength).toBeLessThan(external.byteLength + 10);
    }
  });

  test('a model without duplicates is left as it is; one that reads another data file is refused', () => {
    const { model } = convInBranch().serializeExternal(17, 'weights.bin');
    expect(dropDuplicateInitializers(bufferSource(model), 'weights.bin')).toEqual({ model: null, dropped: 0 });
    expect(() => dropDuplicateInitializers(bufferSource(model), 'other.bin')).toThrow(/reads "weights.bin", not "other.bin"/);
  });
});
