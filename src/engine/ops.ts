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

/**
 * How a sub-discriminator's tensors are laid out. `time-on-width`: [N, C, 1, T], with 1-D
 * layers and the period discriminators' (k, 1) kernels turned into (1, k) kernels;
 * onnxruntime's NCHWc kernels work along the width, and a period view of width 2 or 3 ran
 * them at 0.7 of the speed of the same work on a long row (measured). `image`: the
 * spectrogram discriminators' maps transposed from upstream's [N, C, F, T] to [N, C, T, F],
 * their (kf, kt) kernels to (kt, kf): the frames of a window are few (34 for n_fft 4096 on
 * 2 s) and the bins many, and along the bins the same convolutions ran 2.4% faster over a
 * 2 s sovits5 window, 5% over a 0.5 s one (whole graph, measured).
 */
export type Layout = 'time-on-width' | 'image';

/**
 * Which upstream kernel axis is time in the `image` layout: UnivNet's DiscriminatorR runs
 * (frequency, time) kernels over [N, C, bins, frames] and is transposed here; the newer
 * spectrogram discriminators (CQT-D, StyleTTS 2, DAC, Vocos, EnCodec) already run (time,
 * frequency) over [N, C, frames, bins].
 */
export type KernelOrder = 'frequency-time' | 'time-frequency';

export function conv(g: OnnxGraph, weights: WeightMap, x: string, key: string, layer: ConvLayer, layout: Layout, order: KernelOrder = 'frequency-time'): string {
  const w = weightOf(weights, `${key}.weight`);
  const b = weightOf(weights, `${key}.bias`);
  let kernel: readonly number[] = layer.kernel;
  let stride: readonly number[] = layer.stride;
  let padding: readonly number[] = layer.padding;
  let dilation: readonly number[] = layer.dilation ?? layer.kernel.map(() => 1);
  let shape: readonly number[] = w.shape;
  if (layout === 'time-on-width') {
    // A period discriminator's (k, 1) kernel becomes (1, k). Its phase columns are separate
    // images here, so a kernel that mixed columns could not be expressed: the layer tables
    // have none, and this guards that.
    if (kernel.length === 2 && (kernel[1] !== 1 || stride[1] !== 1 || padding[1] !== 0)) throw new Error(`internal: ${key} mixes phase columns`);
    // 1-D [O, I/g, K] or period [O, I, k, 1] weights and [O, I/g, 1, K] hold the same bytes.
    kernel = [1, kernel[0]!];
    stride = [1, stride[0]!];
    padding = [0, padding[0]!];
    dilation = [1, dilation[0]!];
    shape = [shape[0]!, shape[1]!, 1, shape[2]!];
  }
  let data = () => w.data;
  if (layout === 'image' && order === 'frequency-time') {
    // [O, I, kf, kt] -> [O, I, kt, kf], with the strides and paddings.
    const [outputs, inputs, kf, kt] = shape as [number, number, number, number];
    kernel = [kernel[1]!, kernel[0]!];
    stride = [stride[1]!, stride[0]!];
    padding = [padding[1]!, padding[0]!];
    dilation = [dilation[1]!, dilation[0]!];
    shape = [outputs, inputs, kt, kf];
    data = () => transposeKernels(w.data, outputs * inputs, kf, kt);
  }
  return g.node(
    'Conv',
    [x, g.sharedFloatTensor(`${key}.weight`, shape, data), g.sharedFloatTensor(`${key}.bias`, b.shape, () => b.data)],
    {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(stride),
      pads: attr.ints([...padding, ...padding]),
      group: attr.int(layer.groups),
      // Only where a layer dilates: every other graph stays byte-identical (session cache keys).
      ...(dilation.some((d) => d !== 1) ? { dilations: attr.ints(dilation) } : {}),
    },
  );
}

/** `count` kernels of rows x cols, each transposed. */
function transposeKernels(data: Float32Array, count: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const size = rows * cols;
  for (let k = 0; k < count; k++) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[k * size + c * rows + r] = data[k * size + r * cols + c]!;
  }
  return out;
}

/**
 * [B, S, T] -> [B, 1, S, T]: the S signals of each window (reference and synthesized, or the
 * synthesized alone) as rows of one image. Kernels of the time-on-width layout are one row
 * high, so rows never mix, and the two rows of a feature map are f_ref and f_syn side by side.
 */
export function waveformRows(g: OnnxGraph, signals: string): string {
  return g.node('Unsqueeze', [signals, g.int64([1])]);
}

/** PyTorch's AvgPool1d(4, 2, padding=2), which counts the zero padding (count_include_pad=True), on [N,1,1,T]. */
export function avgPool(g: OnnxGraph, x: string): string {
  return g.node('AveragePool', [x], {
    kernel_shape: attr.ints([1, 4]),
    strides: attr.ints([1, 2]),
    pads: attr.ints([0, 2, 0, 2]),
    count_include_pad: attr.int(1),
  });
}

/**
 * DiscriminatorP's view in the time-on-width layout: [B, S, T] -> reflect-pad T up to a
 * multiple of p -> [B, S, T/p, p] (upstream's [N,1,T/p,p] per signal) -> each phase column as
 * its own image: [B·p, 1, S, T/p]. Images b·p … b·p+p−1 belong to window b.
 */
export function periodView(g: OnnxGraph, signals: string, period: number, alwaysPad = false): string {
  const length = g.node('Shape', [signals], { start: attr.int(2), end: attr.int(3) });
  const p = g.int64([period]);
  const remainder = g.node('Mod', [length, p]);
  // DAC pads a whole period where T is a multiple of it; the others pad only when needed.
  const missing = g.node('Sub', [p, remainder]);
  const padRight = alwaysPad ? missing : g.node('Mod', [missing, p]);
  const pads = g.node('Concat', [g.int64([0, 0, 0, 0, 0]), padRight], { axis: attr.int(0) });
  const padded = g.node('Pad', [signals, pads], { mode: attr.string('reflect') });
  const columns = g.node('Reshape', [padded, g.int64([0, 0, -1, period])]);
  const rows = g.node('Transpose', [columns], { perm: attr.ints([0, 3, 1, 2]) });
  // [B, p, S, H] -> [B·p, 1, S, H] (0 keeps the input's size on that axis)
  return g.node('Reshape', [rows, g.int64([-1, 1, 0, 0])]);
}
