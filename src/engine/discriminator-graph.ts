/**
 * Builds one ONNX graph for a whole discriminator family from its resolved layer table and
 * weights. The graph ends in the loss reductions, so feature maps never leave the runtime:
 *
 *   pair mode:     ref [B,T], syn [B,T]  ->  fm_layers [B,L], real [B,S], fake [B,S], gen [B,S]
 *   syn-only mode: syn [B,T]             ->  fake [B,S], gen [B,S]
 *
 * where L is the total number of feature maps (convs + conv_post of every sub) and S the
 * number of sub-discriminators. Reference and synthesized windows go through one call.
 *
 * How the pair travels, and why (measured with bench/throughput.mjs and onnxruntime's profiler):
 * * Period and scale discriminators use the time-on-width layout (ops.ts): every kernel is one
 *   row high, so f_ref and f_syn are the two rows of one image. |f_ref − f_syn| is then a
 *   depthwise (2, 1) convolution with weights (1, −1), which onnxruntime runs in its NCHWc
 *   layout with the relu fused: mean|d| = mean(relu(d)) + mean(relu(−d)), each a global
 *   average pool. No feature map is converted back from NCHWc, split or copied: that had
 *   cost about 9% of a gpt-sovits window.
 * * Spectrogram discriminators use 2-D kernels, so reference and synthesized run as two
 *   branches from the spectrogram on (sharing the weights). f_ref − f_syn is a depthwise 1x1
 *   conv of weight −1 on f_syn that onnxruntime fuses with the Add of f_ref, in NCHWc; one
 *   layout conversion and a ReduceL1 along time follow. As batch halves of one tensor
 *   instead, every map was converted, split, subtracted and made absolute, about 11% of a
 *   sovits5 window, and those copies held the peak memory (2 s window: 690 -> 550 MB,
 *   2-3% faster, measured). Stacking them as channel groups ran the grouped convs 20% slower.
 */
import type { ConvLayer, ResolvedModel, SubDiscriminatorSpec, WeightMap } from '../model/types.js';
import { attr, ElemType, OnnxGraph } from './onnx-graph.js';
import { avgPool, conv, type Layout, periodView, waveformRows } from './ops.js';
import { spectrogram } from './stft.js';
import { meanAbsPerWindow, meanOfPooled, meanPerWindow, paddedRowMeans, paddedToTrue } from './reductions.js';

export type GraphMode = 'pair' | 'syn-only';

export const OPSET = 17;

/** The dynamic batch dimension's name in every input, output and declared shape. */
const BATCH = 'batch';

export interface BuiltGraph {
  readonly bytes: Uint8Array;
  readonly mode: GraphMode;
  /** Feature maps per sub-discriminator, in model order (their sum is L). */
  readonly layerCounts: readonly number[];
}

/** The graph's inputs in the shapes the two layouts start from. */
interface Signals {
  /** [B, S, T]: per window, S = 2 rows (ref, syn) in pair mode, 1 (syn) in syn-only mode. */
  readonly rows: string;
  /** [S·B, T]: the reference windows, then the synthesized ones. */
  readonly batch: string;
  /** B, as a 1-element int64 tensor. */
  readonly windows: string;
  /** T, as a 1-element int64 tensor. */
  readonly length: string;
  readonly pair: boolean;
}

interface FeatureMap {
  /**
   * The map: one value, or, where reference and synthesized run as separate branches (the
   * spectrogram discriminators in pair mode), the reference's and the synthesized one's.
   */
  readonly values: readonly string[];
  readonly channels: number;
  /** W of a time-on-width map, as a 1-element int64 tensor (computed from T, not read off the map). */
  readonly width?: string;
}

/** A conv's output length along time: floor((W + 2·padding − kernel) / stride) + 1. */
function convWidth(g: OnnxGraph, width: string, layer: ConvLayer): string {
  const span = g.node('Add', [width, g.int64([2 * layer.padding[0]! - layer.kernel[0]!])]);
  return g.node('Add', [g.node('Div', [span, g.int64([layer.stride[0]!])]), g.int64([1])]);
}

/** Runs one sub-discriminator; returns its feature maps (last = conv_post output) and their layout. */
function subNetwork(g: OnnxGraph, weights: WeightMap, signals: Signals, sub: SubDiscriminatorSpec): { maps: FeatureMap[]; layout: Layout } {
  let h: string[];
  let layout: Layout = 'time-on-width';
  let width: string | undefined;
  const input = sub.input;
  switch (input.kind) {
    case 'waveform': {
      let x = waveformRows(g, signals.rows);
      width = signals.length;
      for (let i = 0; i < input.pool; i++) {
        x = avgPool(g, x);
        width = g.node('Add', [g.node('Div', [width, g.int64([2])]), g.int64([1])]);
      }
      h = [x];
      break;
    }
    case 'period':
      h = [periodView(g, signals.rows, input.period)];
      width = g.node('Div', [g.node('Add', [signals.length, g.int64([input.period - 1])]), g.int64([input.period])]);
      break;
    case 'resolution': {
      const magnitude = spectrogram(g, signals.batch, input.nFft, input.hop, input.win, sub.prefix);
      // Pair mode: reference and synthesized become separate branches here (see the file
      // comment); the spectrogram's split is small (one channel).
      h = signals.pair ? g.nodeN('Split', [magnitude], 2, { axis: attr.int(0) }) : [magnitude];
      layout = 'image';
      break;
    }
  }
  const next = (w: string | undefined, layer: ConvLayer) => w && convWidth(g, w, layer);
  // Two branches: both sides' maps have the same shape, declared with one symbolic width per
  // layer (see differenceOf).
  let height = input.kind === 'resolution' ? input.nFft / 2 + 1 : 0;
  const declare = (values: string[], layer: ConvLayer, name: string): string[] => {
    if (values.length < 2) return values;
    height = Math.floor((height + 2 * layer.padding[0]! - layer.kernel[0]!) / layer.stride[0]!) + 1;
    return values.map((x) => g.shape(x, ElemType.FLOAT, [BATCH, layer.out, height, `${name}.width`]));
  };
  const maps: FeatureMap[] = [];
  sub.convs.forEach((layer, i) => {
    const key = `${sub.prefix}.convs.${i}`;
    h = declare(h.map((x) => g.node('LeakyRelu', [conv(g, weights, x, key, layer, layout)], { alpha: attr.float(sub.slope) })), layer, key);
    width = next(width, layer);
    maps.push({ values: h, channels: layer.out, ...(width ? { width } : {}) });
  });
  width = next(width, sub.post);
  const key = `${sub.prefix}.conv_post`;
  maps.push({ values: declare(h.map((x) => conv(g, weights, x, key, sub.post, layout)), sub.post, key), channels: sub.post.out, ...(width ? { width } : {}) });
  return { maps, layout };
}

function squared(g: OnnxGraph, x: string): string {
  return g.node('Mul', [x, x]);
}

// onnxruntime keeps a depthwise convolution in the NCHWc layout when the channel count is a
// multiple of its block (16 with AVX-512, 8 with AVX2); narrower maps take the plain path.
const NCHWC_BLOCK = 16;

/** relu(row0 − row1) or relu(row1 − row0) of [R, C, 2, W] -> [R, C, 1, W], as one depthwise conv. */
function reluOfRowDifference(g: OnnxGraph, f: string, channels: number, sign: 1 | -1): string {
  // A cached constant: every map with this channel count and sign shares it.
  const kernel = g.float32(Array.from({ length: 2 * channels }, (_, i) => (i % 2 === 0 ? sign : -sign)), [channels, 1, 2, 1]);
  return g.node('Relu', [g.node('Conv', [f, kernel], { kernel_shape: attr.ints([2, 1]), group: attr.int(channels) })]);
}

/** A pair-mode map's ref and syn parts: its two branches, or the two rows of a time-on-width map. */
function sidesOf(g: OnnxGraph, f: FeatureMap): [string, string] {
  if (f.values.length === 2) return [f.values[0]!, f.values[1]!];
  const [r, s] = g.nodeN('Split', [f.values[0]!], 2, { axis: attr.int(2) });
  return [r!, s!];
}

/**
 * x − y of two branch maps of equal shape: a depthwise 1x1 conv of weight −1 on y, added to
 * x. onnxruntime fuses the Add into the conv, which accumulates into x's buffer in its NCHWc
 * layout; for that it must know the shapes are equal, hence the declared shape.
 */
function differenceOf(g: OnnxGraph, f: FeatureMap): string {
  const [x, y] = f.values as [string, string];
  const minusOne = g.float32(Array.from({ length: f.channels }, () => -1), [f.channels, 1, 1, 1]);
  const negated = g.node('Conv', [y, minusOne], { kernel_shape: attr.ints([1, 1]), group: attr.int(f.channels) });
  g.shapeLike(negated, x);
  return g.node('Add', [x, negated]);
}

/** mean |f_ref − f_syn| per window. */
function featureDistance(g: OnnxGraph, f: FeatureMap, layout: Layout, windows: string): string {
  if (layout === 'time-on-width' && f.width && f.channels % NCHWC_BLOCK === 0) {
    const value = f.values[0]!;
    const up = paddedRowMeans(g, reluOfRowDifference(g, value, f.channels, 1));
    const down = paddedRowMeans(g, reluOfRowDifference(g, value, f.channels, -1));
    return g.node('Mul', [meanOfPooled(g, g.node('Add', [up, down]), windows), paddedToTrue(g, f.width)]);
  }
  if (f.values.length === 2 && f.channels % NCHWC_BLOCK === 0) return meanAbsPerWindow(g, differenceOf(g, f), windows);
  const [fr, fs] = sidesOf(g, f);
  return meanPerWindow(g, g.node('Abs', [g.node('Sub', [fr, fs])]), windows);
}

/** Stacks per-window vectors [B] into [B, n]. */
function stackColumns(g: OnnxGraph, columns: readonly string[]): string {
  const one = g.int64([1]);
  const unsqueezed = columns.map((c) => g.node('Unsqueeze', [c, one]));
  return unsqueezed.length === 1 ? unsqueezed[0]! : g.node('Concat', unsqueezed, { axis: attr.int(1) });
}

/** Feature maps per sub-discriminator (its convs and conv_post), known without building the graph. */
export function layerCountsOf(model: ResolvedModel): number[] {
  return model.subs.map((sub) => sub.convs.length + 1);
}

export function buildDiscriminatorGraph(model: ResolvedModel, mode: GraphMode): BuiltGraph {
  const g = new OnnxGraph(`tts-critic ${model.family.name} (${mode})`);
  const batch = BATCH;
  const syn = g.input('syn', ElemType.FLOAT, [batch, 'time']);
  const ref = mode === 'pair' ? g.input('ref', ElemType.FLOAT, [batch, 'time']) : undefined;
  const axis1 = g.int64([1]);
  const signals: Signals = {
    rows: ref ? g.node('Concat', [g.node('Unsqueeze', [ref, axis1]), g.node('Unsqueeze', [syn, axis1])], { axis: attr.int(1) }) : g.node('Unsqueeze', [syn, axis1]),
    batch: ref ? g.node('Concat', [ref, syn], { axis: attr.int(0) }) : syn,
    windows: g.node('Shape', [syn], { start: attr.int(0), end: attr.int(1) }),
    length: g.node('Shape', [syn], { start: attr.int(1), end: attr.int(2) }),
    pair: ref !== undefined,
  };
  const one = g.float32([1]);

  const distances: string[] = [];
  const real: string[] = [];
  const fake: string[] = [];
  const gen: string[] = [];
  const layerCounts: number[] = [];

  for (const sub of model.subs) {
    const { maps, layout } = subNetwork(g, model.weights, signals, sub);
    layerCounts.push(maps.length);
    // The score is flatten(conv_post output); its mean is the mean over the window's items.
    const score = maps[maps.length - 1]!;
    const [dr, ds] = signals.pair ? sidesOf(g, score) : [undefined, score.values[0]!];
    if (dr) {
      for (const f of maps) distances.push(featureDistance(g, f, layout, signals.windows));
      real.push(meanPerWindow(g, squared(g, g.node('Sub', [one, dr])), signals.windows));
    }
    fake.push(meanPerWindow(g, squared(g, ds), signals.windows));
    gen.push(meanPerWindow(g, squared(g, g.node('Sub', [one, ds])), signals.windows));
  }

  const subCount = model.subs.length;
  const layerTotal = layerCounts.reduce((a, b) => a + b, 0);
  if (signals.pair) {
    g.exportAs(stackColumns(g, distances), 'fm_layers', ElemType.FLOAT, [batch, layerTotal]);
    g.exportAs(stackColumns(g, real), 'real', ElemType.FLOAT, [batch, subCount]);
  }
  g.exportAs(stackColumns(g, fake), 'fake', ElemType.FLOAT, [batch, subCount]);
  g.exportAs(stackColumns(g, gen), 'gen', ElemType.FLOAT, [batch, subCount]);
  return { bytes: g.serialize(OPSET), mode, layerCounts };
}
