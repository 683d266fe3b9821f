/** Running a small hand-built ONNX graph on one input, and the signals the op tests feed it. */
import * as ort from 'onnxruntime-node';
import { ElemType, OnnxGraph } from '../../src/engine/onnx-graph.js';

/** Builds a one-input graph with `body`, runs it on x (default shape [1,1,T]) and returns the output. */
export async function runOp(x: Float32Array, body: (g: OnnxGraph, input: string) => string, dims: readonly number[] = [1, 1, x.length]): Promise<ort.Tensor> {
  const g = new OnnxGraph('op-test');
  const input = g.input('x', ElemType.FLOAT, dims.map((_, i) => `i${i}`));
  g.exportAs(body(g, input), 'y', ElemType.FLOAT, ['d0', 'd1', 'd2', 'd3']);
  const session = await ort.InferenceSession.create(g.serialize(17));
  const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
  await session.release();
  return out.y!;
}

/** A deterministic signal in [-0.5, 0.5) (a linear congruential generator). */
export function randomSignal(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** numpy/torch 'reflect' padding (edge sample not repeated). */
export function reflectPad(x: ArrayLike<number>, left: number, right: number): number[] {
  const n = x.length;
  const at = (i: number) => x[i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i]!;
  return Array.from({ length: n + left + right }, (_, i) => at(i - left));
}
