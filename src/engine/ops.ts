/**
 * The building blocks of the discriminators as ONNX subgraphs, each reproducing one PyTorch
 * operation exactly (padding modes, window placement, pooling semantics).
 */
import type { ConvLayer, WeightMap } from '../model/types.js';
import { attr, type OnnxGraph } from './onnx-graph.js';

function weightOf(weights: WeightMap, key: string) {
  const t = weights.get(key);
  if (!t) throw new Error(`internal: weight "${key}" missing after resolution`);
  return t;
}

export function conv(g: OnnxGraph, weights: WeightMap, x: string, key: string, layer: ConvLayer): string {
  const w = weightOf(weights, `${key}.weight`);
  const b = weightOf(weights, `${key}.bias`);
  return g.node(
    'Conv',
    [x, g.floatTensor(`${key}.weight`, w.shape, w.data), g.floatTensor(`${key}.bias`, b.shape, b.data)],
    {
      kernel_shape: attr.ints(layer.kernel),
      strides: attr.ints(layer.stride),
      pads: attr.ints([...layer.padding, ...layer.padding]),
      group: attr.int(layer.groups),
    },
  );
}

/** PyTorch's AvgPool1d(4, 2, padding=2), which counts the zero padding (count_include_pad=True). */
export function avgPool(g: OnnxGraph, x: string): string {
  return g.node('AveragePool', [x], {
    kernel_shape: attr.ints([4]),
    strides: attr.ints([2]),
    pads: attr.ints([2, 2]),
    count_include_pad: attr.int(1),
  });
}

/** [N,1,T] -> reflect-pad T up to a multiple of p -> [N,1,T/p,p] (height = time/p, width = phase). */
export function periodView(g: OnnxGraph, x: string, period: number): string {
  const length = g.node('Shape', [x], { start: attr.int(2), end: attr.int(3) });
  const p = g.int64([period]);
  const remainder = g.node('Mod', [length, p]);
  const padRight = g.node('Mod', [g.node('Sub', [p, remainder]), p]);
  const pads = g.node('Concat', [g.int64([0, 0, 0, 0, 0]), padRight], { axis: attr.int(0) });
  const padded = g.node('Pad', [x, pads], { mode: attr.string('reflect') });
  return g.node('Reshape', [padded, g.int64([0, 1, -1, period])]);
}

/**
 * torch.stft magnitude with a rectangular window, as a strided Conv1d with fixed cos/sin
 * kernels: ONNX Runtime's STFT op is missing on the WebGPU and CUDA providers and slow on CPU.
 * torch centres a `win`-long window of ones inside the `nFft` frame, so only `win` taps are
 * non-zero: the conv uses those taps on the input shifted by the window's left offset.
 */
export function spectrogram(g: OnnxGraph, x: string, nFft: number, hop: number, win: number, key: string): string {
  const reflect = Math.floor((nFft - hop) / 2);
  const left = Math.floor((nFft - win) / 2);
  const right = nFft - win - left;
  const bins = nFft / 2 + 1;

  const padded = g.node('Pad', [x, g.int64([0, 0, reflect, 0, 0, reflect])], { mode: attr.string('reflect') });
  const framed = g.node('Slice', [padded, g.int64([left]), g.int64([right > 0 ? -right : Number.MAX_SAFE_INTEGER]), g.int64([2])]);

  const kernel = new Float32Array(2 * bins * win);
  for (let k = 0; k < bins; k++) {
    for (let m = 0; m < win; m++) {
      // Reduce k·n modulo nFft in integers first: the angle stays exact for large nFft.
      const phase = (2 * Math.PI * ((k * (m + left)) % nFft)) / nFft;
      kernel[k * win + m] = Math.cos(phase);
      kernel[(bins + k) * win + m] = -Math.sin(phase);
    }
  }
  const dft = g.node('Conv', [framed, g.floatTensor(`${key}.dft_kernel`, [2 * bins, 1, win], kernel)], {
    kernel_shape: attr.ints([win]),
    strides: attr.ints([hop]),
  });
  const [re, im] = g.nodeN('Split', [dft, g.int64([bins, bins])], 2, { axis: attr.int(1) });
  const power = g.node('Add', [g.node('Mul', [re!, re!]), g.node('Mul', [im!, im!])]);
  return g.node('Unsqueeze', [g.node('Sqrt', [power]), g.int64([1])]);
}

