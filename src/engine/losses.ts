/**
 * The graph's loss reductions: per window, mean |f_ref − f_syn| of every feature map (fm) and
 * the adversarial scores of every sub-discriminator. Feature maps never leave the runtime.
 *
 * How the pair is compared, and why (measured with bench/corpus.mjs and onnxruntime's profiler):
 * * Time-on-width maps (period and scale discriminators) hold f_ref and f_syn as the two rows
 *   of one image, and kernels one row high. One depthwise (3, 1) convolution of weights
 *   (−1, 1, −1) over the rows padded by one zero row on each side gives [f_ref − f_syn;
 *   f_syn − f_ref], and its fused relu makes their sum |d|: mean|d| is twice the mean of
 *   that two-row map, taken by average pools. All of it runs in onnxruntime's NCHWc layout: no
 *   map is converted back, split or copied (that had cost about 9% of a gpt-sovits window).
 * * Spectrogram maps come from two branches (reference, synthesized; discriminator-graph.ts).
 *   f_ref − f_syn is a depthwise 1x1 conv of weight −1 on f_syn that onnxruntime fuses with
 *   the Add of f_ref, in NCHWc; one layout conversion and a ReduceL1 along the bins follow.
 * * The per-map tails (channel and item means, the width scaling) are batched per
 *   sub-discriminator: one Concat, one mean, one MatMul with a segment-mean matrix. A
 *   session's start-up grows with the square of its count of tensors of dynamic shape (the
 *   allocation planner scans every freed one for each new one), and per-map tails were most
 *   of them: sovits5's session creation went from about 150 to 75 ms.
 */
import { attr, ElemType, type OnnxGraph } from './onnx-graph.js';
import type { Layout } from './ops.js';
import { channelMeansPerWindow, meanPerWindow, paddedRowMeans, paddedToTrue, perWindowShape } from './reductions.js';

export interface FeatureMap {
  /**
   * The map: one value, or, where reference and synthesized run as separate branches (the
   * spectrogram discriminators in pair mode), the reference's and the synthesized one's.
   */
  readonly values: readonly string[];
  readonly channels: number;
  /**
   * W, its length along the width axis, as a 1-element int64 tensor (computed, not read off
   * the map): time in the time-on-width layout, the frequency bins in images.
   */
  readonly width: string;
}

// onnxruntime keeps a depthwise convolution in the NCHWc layout when the channel count is a
// multiple of its block (16 with AVX-512, 8 with AVX2); narrower maps take the plain path.
const NCHWC_BLOCK = 16;

/** A pair-mode map's ref and syn parts: its two branches, or the two rows of a time-on-width map. */
export function sidesOf(g: OnnxGraph, f: FeatureMap): [string, string] {
  if (f.values.length === 2) return [f.values[0]!, f.values[1]!];
  const [r, s] = g.nodeN('Split', [f.values[0]!], 2, { axis: attr.int(2) });
  return [r!, s!];
}

/** [relu(row0 − row1); relu(row1 − row0)] of [R, C, 2, W]: one depthwise (3, 1) conv over the zero-padded rows. */
function reluOfRowDifferences(g: OnnxGraph, f: string, channels: number): string {
  // A cached constant: every map with this channel count shares it.
  const kernel = g.float32(Array.from({ length: 3 * channels }, (_, i) => (i % 3 === 1 ? 1 : -1)), [channels, 1, 3, 1]);
  return g.node('Relu', [g.node('Conv', [f, kernel], { kernel_shape: attr.ints([3, 1]), pads: attr.ints([1, 0, 1, 0]), group: attr.int(channels) })]);
}

/**
 * f_ref − f_syn of two branch maps of equal shape: a depthwise 1x1 conv of weight −1 on f_syn,
 * added to f_ref. onnxruntime fuses the Add into the conv, which accumulates into f_ref's
 * buffer in its NCHWc layout; for that it must know the shapes are equal, hence the declared
 * shape (discriminator-graph.ts declares the maps').
 */
function branchDifference(g: OnnxGraph, f: FeatureMap): string {
  const [x, y] = f.values as [string, string];
  const minusOne = g.float32(Array.from({ length: f.channels }, () => -1), [f.channels, 1, 1, 1]);
  const negated = g.node('Conv', [y, minusOne], { kernel_shape: attr.ints([1, 1]), group: attr.int(f.channels) });
  g.shapeLike(negated, x);
  return g.node('Add', [x, negated]);
}

/** A map's distance before its tail: channel means [R, C, 1, 1] that become the distance when averaged and scaled. */
interface Pooled {
  readonly means: string;
  readonly channels: number;
  /** The map's W, int64 [1]. */
  readonly width: string;
}

/** The pooled form of a map's distance, or null where the map takes the plain path. */
function pooledDistance(g: OnnxGraph, f: FeatureMap, layout: Layout): Pooled | null {
  if (f.channels % NCHWC_BLOCK !== 0) return null;
  if (layout === 'time-on-width') return { means: paddedRowMeans(g, reluOfRowDifferences(g, f.values[0]!, f.channels)), channels: f.channels, width: f.width };
  if (f.values.length !== 2) return null;
  // Σ|d| along W (no |d| map is made), then the mean along H.
  const sums = g.node('ReduceL1', [branchDifference(g, f)], { axes: attr.ints([3]), keepdims: attr.int(1) });
  return { means: g.node('ReduceMean', [sums], { axes: attr.ints([2]), keepdims: attr.int(1) }), channels: f.channels, width: f.width };
}

/** The factors [n] from the pooled means to mean |d|, for the maps' widths W [n] (int64). */
function poolScales(g: OnnxGraph, widths: string, layout: Layout): string {
  // Time-on-width: the pools' means over both rows of padded length (reductions.ts) are half
  // the mean of |d|. Branches: Σ|d| along W (the bins), to be divided by W.
  if (layout === 'time-on-width') return g.node('Mul', [paddedToTrue(g, widths), g.float32([2])]);
  return g.node('Div', [g.float32([1]), g.node('Cast', [widths], { to: attr.int(ElemType.FLOAT) })]);
}

/**
 * Means per window of pooled maps, one column each: [B, n]. The maps' channel means are
 * stacked, averaged over the window's items, averaged per map by a segment-mean matrix and
 * scaled, all maps at once.
 */
function pooledColumns(g: OnnxGraph, pooled: readonly Pooled[], layout: Layout, windows: string): string {
  const total = pooled.reduce((sum, p) => sum + p.channels, 0);
  const stack = pooled.length === 1 ? pooled[0]!.means : g.node('Concat', pooled.map((p) => p.means), { axis: attr.int(1) });
  const items = g.node('Reshape', [stack, perWindowShape(g, windows, [-1, total])]);
  const channelMeans = g.node('ReduceMean', [items], { axes: attr.ints([1]), keepdims: attr.int(0) });
  const segments = new Float32Array(total * pooled.length);
  let row = 0;
  pooled.forEach((p, column) => {
    for (let c = 0; c < p.channels; c++, row++) segments[row * pooled.length + column] = 1 / p.channels;
  });
  const mapMeans = g.node('MatMul', [channelMeans, g.floatTensor(g.fresh('segment_means'), [total, pooled.length], segments)]);
  const widths = pooled.length === 1 ? pooled[0]!.width : g.node('Concat', pooled.map((p) => p.width), { axis: attr.int(0) });
  return g.node('Mul', [mapMeans, poolScales(g, widths, layout)]);
}

/** mean |f_ref − f_syn| per window of every map of one sub-discriminator, in order: [B, maps]. */
export function featureDistances(g: OnnxGraph, maps: readonly FeatureMap[], layout: Layout, windows: string): string {
  const pooled: Pooled[] = [];
  // Each map's column: an index into the pooled columns, or a plain [B, 1] distance.
  const columns: (number | string)[] = maps.map((f) => {
    const p = pooledDistance(g, f, layout);
    if (p) return pooled.push(p) - 1;
    const [fr, fs] = sidesOf(g, f);
    return meanPerWindow(g, g.node('Abs', [g.node('Sub', [fr, fs])]), windows);
  });
  const parts: string[] = [];
  if (pooled.length > 0) parts.push(pooledColumns(g, pooled, layout, windows));
  parts.push(...columns.filter((c): c is string => typeof c === 'string'));
  const joined = parts.length === 1 ? parts[0]! : g.node('Concat', parts, { axis: attr.int(1) });
  // Pooled columns come first in `joined`; put every column back in map order.
  let next = 0;
  let plain = pooled.length;
  const order = columns.map((c) => (typeof c === 'number' ? next++ : plain++));
  return order.every((o, i) => o === i) ? joined : g.node('Gather', [joined, g.int64(order)], { axis: attr.int(1) });
}

/**
 * The sub's adversarial scores per window from its score map x (the conv_post output):
 * [B, 3] = mean (1 − x_ref)², mean (1 − x_syn)², mean x_syn² (real, gen, fake) in pair mode;
 * [B, 2] = gen, fake without a reference. One stack of the squared terms and one chain of
 * means (three chains per sub were a quarter of a session's start-up, see above).
 */
export function scoreColumns(g: OnnxGraph, score: FeatureMap, layout: Layout, windows: string, pair: boolean): string {
  const one = g.float32([1]);
  const miss = (x: string) => g.node('Sub', [one, x]);
  if (layout === 'image') {
    // Images [B, 1, F, W]: one channel per term.
    const [ref, syn] = score.values.length === 2 ? score.values : [undefined, score.values[0]!];
    const terms = [...(ref ? [miss(ref)] : []), miss(syn!), syn!];
    const stack = g.node('Concat', terms, { axis: attr.int(1) });
    return channelMeansPerWindow(g, g.node('Mul', [stack, stack]), windows, terms.length);
  }
  // Time-on-width [R, 1, S, W] with S rows (ref, syn or syn alone): [1 − x; x] as channels,
  // then every (term, row) as a channel of its own.
  const x = score.values[0]!;
  const rows = pair ? 2 : 1;
  const stack = g.node('Concat', [miss(x), x], { axis: attr.int(1) });
  const squares = g.node('Reshape', [g.node('Mul', [stack, stack]), g.int64([0, 2 * rows, 1, -1])]);
  const means = channelMeansPerWindow(g, squares, windows, 2 * rows);
  // Pair: (1 − x_ref)², (1 − x_syn)², x_ref², x_syn² -> real, gen, fake; syn-only: gen, fake.
  return pair ? g.node('Gather', [means, g.int64([0, 1, 3])], { axis: attr.int(1) }) : means;
}
