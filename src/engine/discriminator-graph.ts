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
 * Spectrogram discriminators run reference and synthesized as two branches from the
 * spectrogram on (sharing the weights); period and scale discriminators hold them as the two
 * rows of one image (ops.ts, time-on-width layout). How the maps are compared: losses.ts.
 *
 * As batch halves of one tensor, every spectrogram map had to be converted out of NCHWc,
 * split, subtracted and made absolute (about 11% of a sovits5 window), and those copies held
 * the peak memory (2 s window: 690 -> 550 MB with branches, and 2-3% faster, measured; the
 * batch-1 convs run as fast as the batch-2 ones). Stacking them as channel groups instead
 * ran the grouped convs 20% slower.
 */
import { convKey, featureCount, featuresOf, postKey } from '../model/keys.js';
import type { ConvLayer, FamilySpec, ResolvedModel, SubDiscriminatorSpec, WeightMap } from '../model/types.js';
import { complexSpectrogram } from './complex-stft.js';
import { cqtInput } from './cqt.js';
import { attr, ElemType, type EncodedGraph, type ExternalModel, OnnxGraph, type Subgraph, type SubgraphOutput } from './onnx-graph.js';
import { avgPool, conv, type KernelOrder, type Layout, periodView, waveformRows } from './ops.js';
import { hannWindow, spectrogram } from './stft.js';
import { featureDistances, type FeatureMap, scoreColumns } from './losses.js';
import { NATIVE_COLUMNS, nativeColumns, type NativeTerms } from './native-scores.js';

export type GraphMode = 'pair' | 'syn-only';

export const OPSET = 17;

/** The dynamic batch dimension's name in every input, output and declared shape. */
const BATCH = 'batch';

export interface BuiltGraph {
  /** The model as one buffer, weights inline. */
  bytes(): Uint8Array;
  /** The model with its weights in `dataFile`, beside the model file (see OnnxGraph.serializeExternal). */
  external(dataFile: string): ExternalModel;
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

/**
 * A time-on-width conv's output length along time (its kernels' first axis),
 * floor((W + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1, as floor((W + shift) /
 * stride); W itself where the conv keeps the length (every node counts in a session's start-up).
 */
function convWidth(g: OnnxGraph, width: string, layer: ConvLayer): string {
  const stride = layer.stride[0]!;
  const dilation = layer.dilation?.[0] ?? 1;
  const shift = 2 * layer.padding[0]! - dilation * (layer.kernel[0]! - 1) - 1 + stride;
  if (stride === 1 && shift === 0) return width;
  return g.node('Div', [g.node('Add', [width, g.int64([shift])]), g.int64([stride])]);
}

/** A sub's feature maps (those its family's feature loss compares), its logits (the post conv's output) and their layout. */
interface SubNetwork {
  readonly maps: FeatureMap[];
  readonly logits: FeatureMap;
  readonly layout: Layout;
}

/** DC removal and peak normalisation along `axis`, as DAC and Vocos do: 0.8·(y − mean) / (max|y − mean| + 1e-9). */
function dcPeak(g: OnnxGraph, x: string, axis: number): string {
  const axes = { axes: attr.ints([axis]), keepdims: attr.int(1) };
  const centred = g.node('Sub', [x, g.node('ReduceMean', [x], axes)]);
  const peak = g.node('ReduceMax', [g.node('Abs', [centred])], axes);
  return g.node('Div', [g.node('Mul', [centred, g.float32([0.8])]), g.node('Add', [peak, g.float32([1e-9])])]);
}

/** The signals normalised per window (each made once per graph level, where first used). */
function normalizedSignals(g: OnnxGraph, signals: Signals): Signals {
  return {
    ...signals,
    get rows() {
      return g.shared('dc-peak:rows', () => dcPeak(g, signals.rows, 2));
    },
    get batch() {
      return g.shared('dc-peak:batch', () => dcPeak(g, signals.batch, 1));
    },
  };
}

/** Runs one sub-discriminator: its feature maps, logits and their layout. */
function subNetwork(g: OnnxGraph, weights: WeightMap, rawSignals: Signals, sub: SubDiscriminatorSpec, family: FamilySpec): SubNetwork {
  const signals = (sub.normalize ?? family.normalize) ? normalizedSignals(g, rawSignals) : rawSignals;
  const input = sub.input;
  if (input.kind === 'resolution' || input.kind === 'stft' || input.kind === 'cqt') return imageNetwork(g, weights, signals, sub);
  let h: string;
  // W of the maps: their length along time.
  let width: string;
  if (input.kind === 'waveform') {
    h = waveformRows(g, signals.rows);
    width = signals.length;
    for (let i = 0; i < input.pool; i++) {
      h = avgPool(g, h);
      width = g.node('Add', [g.node('Div', [width, g.int64([2])]), g.int64([1])]);
    }
  } else {
    h = periodView(g, signals.rows, input.period, input.alwaysPad);
    const extra = input.alwaysPad ? input.period : input.period - 1;
    width = g.node('Div', [g.node('Add', [signals.length, g.int64([extra])]), g.int64([input.period])]);
  }
  const features = featuresOf(sub);
  const maps: FeatureMap[] = [];
  sub.convs.forEach((layer, i) => {
    h = g.node('LeakyRelu', [conv(g, weights, h, convKey(sub, i), layer, 'time-on-width')], { alpha: attr.float(sub.slope) });
    width = convWidth(g, width, layer);
    if (i >= features.skipFirst) maps.push({ values: [h], channels: layer.out, width });
  });
  const post = conv(g, weights, h, postKey(sub), sub.post, 'time-on-width');
  const logits = { values: [post], channels: sub.post.out, width: convWidth(g, width, sub.post) };
  if (features.post) maps.push(logits);
  return { maps, logits, layout: 'time-on-width' };
}

/** A conv's output size along one axis. */
function convSize(size: number, layer: ConvLayer, axis: number): number {
  const dilation = layer.dilation?.[axis] ?? 1;
  return Math.floor((size + 2 * layer.padding[axis]! - dilation * (layer.kernel[axis]! - 1) - 1) / layer.stride[axis]!) + 1;
}

/** A spectrogram sub's input [S·B, C, frames, bins], its bin count, and its kernels' axis order. */
function imageInput(g: OnnxGraph, weights: WeightMap, audio: string, sub: SubDiscriminatorSpec): { x: string; bins: number; order: KernelOrder } {
  const input = sub.input;
  switch (input.kind) {
    case 'resolution':
      return { x: spectrogram(g, audio, input.nFft, input.hop, input.win, sub.prefix), bins: input.nFft / 2 + 1, order: 'frequency-time' };
    case 'stft': {
      if (input.value === 'complex') {
        // DAC, Vocos, EnCodec: real and imaginary channels, Hann windows of n_fft taps.
        if (input.window !== 'hann' || input.win !== input.nFft) throw new Error(`internal: ${sub.prefix}: complex STFTs are Hann windows of n_fft taps`);
        const spec = { nFft: input.nFft, hop: input.hop, framing: input.framing, normalized: input.normalized ?? false };
        return { x: complexSpectrogram(g, audio, spec, sub.prefix), bins: input.nFft / 2 + 1, order: 'time-frequency' };
      }
      if (input.framing !== 'center' || input.normalized) {
        throw new Error(`internal: ${sub.prefix}: STFT ${input.value} with ${input.framing} framing${input.normalized ? ', normalized' : ''} is not built yet`);
      }
      const framing = { reflect: input.nFft / 2, window: input.window === 'hann' ? hannWindow(input.win) : null };
      return { x: spectrogram(g, audio, input.nFft, input.hop, input.win, sub.prefix, framing), bins: input.nFft / 2 + 1, order: 'time-frequency' };
    }
    case 'cqt':
      return { x: cqtInput(g, audio, sub, input, weights), bins: input.octaves * input.binsPerOctave, order: 'time-frequency' };
    default:
      throw new Error(`internal: ${sub.prefix} is not a spectrogram sub`);
  }
}

/**
 * A spectrogram discriminator in the `image` layout (ops.ts): maps [B, C, frames, bins]. In
 * pair mode reference and synthesized run as separate branches from the spectrogram on (the
 * spectrogram's split is small: one or two channels), and both branches' maps are declared
 * with one shape (a symbolic frame count per layer; see branchDifference in losses.ts). W is
 * the bins' count, known from the layer table. Where the sub has bands, each band's bins run
 * through their own stack and the bands' outputs are concatenated along the bins for the
 * shared post conv.
 */
function imageNetwork(g: OnnxGraph, weights: WeightMap, signals: Signals, sub: SubDiscriminatorSpec): SubNetwork {
  const { x, bins: inputBins, order } = imageInput(g, weights, signals.batch, sub);
  // The frequency axis of upstream's kernels.
  const axis = order === 'frequency-time' ? 0 : 1;
  const split = signals.pair ? g.nodeN('Split', [x], 2, { axis: attr.int(0) }) : [x];
  const features = featuresOf(sub);
  const step = (values: string[], layer: ConvLayer, name: string, bins: number): FeatureMap & { bins: number } => {
    const out = convSize(bins, layer, axis);
    const declared = values.length < 2 ? values : values.map((v) => g.shape(v, ElemType.FLOAT, [BATCH, layer.out, `${name}.frames`, out]));
    return { values: declared, channels: layer.out, width: g.int64([out]), bins: out };
  };
  const maps: FeatureMap[] = [];
  const ranges = sub.bands ? sub.bands.fractions.map(([lo, hi]) => [Math.floor(lo * inputBins), Math.floor(hi * inputBins)] as const) : [[0, inputBins] as const];
  const bandOutputs: string[][] = [];
  let outBins = 0;
  ranges.forEach(([lo, hi], b) => {
    let h = sub.bands ? split.map((v) => g.node('Slice', [v, g.int64([lo]), g.int64([hi]), g.int64([3])])) : split;
    let bins = hi - lo;
    sub.convs.forEach((layer, i) => {
      const key = convKey(sub, i, b);
      const map = step(h.map((v) => g.node('LeakyRelu', [conv(g, weights, v, key, layer, 'image', order)], { alpha: attr.float(sub.slope) })), layer, key, bins);
      h = [...map.values];
      bins = map.bins;
      if (i >= features.skipFirst) maps.push(map);
    });
    bandOutputs.push(h);
    outBins += bins;
  });
  const joined = bandOutputs.length === 1 ? bandOutputs[0]! : split.map((_, side) => g.node('Concat', bandOutputs.map((h) => h[side]!), { axis: attr.int(3) }));
  const key = postKey(sub);
  const logits = step(joined.map((v) => conv(g, weights, v, key, sub.post, 'image', order)), sub.post, key, outBins);
  if (features.post) maps.push(logits);
  return { maps, logits, layout: 'image' };
}

/** Feature maps per sub-discriminator (what its fm_layers hold), known without building the graph. */
export function layerCountsOf(model: ResolvedModel): number[] {
  return model.subs.map(featureCount);
}

export interface GraphOptions {
  /**
   * Each sub-discriminator as a graph level of its own: the then-branch of an If whose condition
   * always holds. onnxruntime's allocation planner compares every new tensor of dynamic shape
   * with every freed one of its graph level, so a session's start-up grows with the square of
   * the count per level; as ten levels, sovits5's cached session loads in 55 instead of 100 ms
   * (same runs, same memory, measured). For the CPU provider; GPU graphs stay flat (how the
   * GPU providers place an If's branches is untested).
   */
  readonly isolateSubs?: boolean;
  /**
   * Pair mode: also the terms of the family's own losses (`--loss native`), as the output
   * `native` [B, S·k] (engine/native-scores.ts). Absent: the graph is exactly the standard one.
   */
  readonly native?: NativeTerms;
}

/** The graph's inputs (`syn`, and `ref` in pair mode) and the signals every sub reads. */
function signalsOf(g: OnnxGraph, mode: GraphMode): Signals {
  const syn = g.input('syn', ElemType.FLOAT, [BATCH, 'time']);
  const ref = mode === 'pair' ? g.input('ref', ElemType.FLOAT, [BATCH, 'time']) : undefined;
  const axis1 = g.int64([1]);
  return {
    rows: ref ? g.node('Concat', [g.node('Unsqueeze', [ref, axis1]), g.node('Unsqueeze', [syn, axis1])], { axis: attr.int(1) }) : g.node('Unsqueeze', [syn, axis1]),
    batch: ref ? g.node('Concat', [ref, syn], { axis: attr.int(0) }) : syn,
    windows: g.node('Shape', [syn], { start: attr.int(0), end: attr.int(1) }),
    length: g.node('Shape', [syn], { start: attr.int(1), end: attr.int(2) }),
    pair: ref !== undefined,
  };
}

/**
 * Scores per window of one sub: its fm distances [B, maps] (pair mode), then [B, k] adversarial
 * scores (real, gen, fake or gen, fake), then, with `native` (pair mode), its native loss terms.
 */
function subOutputs(g: OnnxGraph, weights: WeightMap, signals: Signals, sub: SubDiscriminatorSpec, family: FamilySpec, native?: NativeTerms): SubgraphOutput[] {
  const { maps, logits, layout } = subNetwork(g, weights, signals, sub, family);
  const scoreCount = signals.pair ? 3 : 2;
  const distances: SubgraphOutput[] = signals.pair ? [{ value: featureDistances(g, maps, layout, signals.windows), type: ElemType.FLOAT, dims: [BATCH, maps.length] }] : [];
  const terms: SubgraphOutput[] =
    signals.pair && native ? [{ value: nativeColumns(g, logits, layout, signals.windows, native), type: ElemType.FLOAT, dims: [BATCH, NATIVE_COLUMNS[native].length] }] : [];
  return [...distances, { value: scoreColumns(g, logits, layout, signals.windows, signals.pair), type: ElemType.FLOAT, dims: [BATCH, scoreCount] }, ...terms];
}

/** A sub's outputs (as subOutputs orders them) sorted into the graph's output lists. */
function collect(outputs: readonly string[], pair: boolean, lists: { distances: string[]; scores: string[]; native: string[] }): void {
  if (pair) lists.distances.push(outputs[0]!);
  lists.scores.push(outputs[pair ? 1 : 0]!);
  const native = outputs[pair ? 2 : 1];
  if (native !== undefined) lists.native.push(native);
}

/**
 * A sub's outputs computed in an If's then-branch (`taken`, or the encoded graph of one
 * optimized alone) whose condition always holds: T >= 0, which onnxruntime cannot fold away
 * (it depends on the input's shape). The else-branch, never taken, gives zeros of the same
 * types, made from the window count so that no constant of its own ends up in a saved graph.
 */
function isolated(g: OnnxGraph, signals: Signals, name: string, taken: Subgraph | EncodedGraph, outputs: readonly Pick<SubgraphOutput, 'type' | 'dims'>[]): string[] {
  const always = g.shared('isolated:always', () => g.node('GreaterOrEqual', [signals.length, g.int64([0])]));
  const windowCount = g.shared('isolated:windows', () => g.node('Cast', [signals.windows], { to: attr.int(ElemType.FLOAT) }));
  const never = g.subgraph(`${name}.else`, () =>
    outputs.map((o) => {
      const width = o.dims[1] as number;
      return { value: g.node('Mul', [windowCount, g.float32(new Array(width).fill(0), [1, width])]), type: o.type, dims: o.dims };
    }),
  );
  return g.nodeN('If', [always], outputs.length, { then_branch: attr.graph(taken), else_branch: attr.graph(never) }, name);
}

/** The graph's outputs from every sub's distances, scores and native terms, in model order. */
function exportScores(g: OnnxGraph, lists: { distances: string[]; scores: string[]; native: string[] }, layerCounts: readonly number[], pair: boolean, native?: NativeTerms): void {
  const { distances, scores } = lists;
  const subCount = layerCounts.length;
  const layerTotal = layerCounts.reduce((a, b) => a + b, 0);
  const columns = (values: readonly string[]) => (values.length === 1 ? values[0]! : g.node('Concat', values, { axis: attr.int(1) }));
  if (pair) g.exportAs(columns(distances), 'fm_layers', ElemType.FLOAT, [BATCH, layerTotal]);
  if (pair && native) g.exportAs(columns(lists.native), 'native', ElemType.FLOAT, [BATCH, subCount * NATIVE_COLUMNS[native].length]);
  // [B, S·k] -> [B, S, k] -> one [B, S] per score.
  const names = pair ? ['real', 'gen', 'fake'] : ['gen', 'fake'];
  const bySub = g.node('Reshape', [columns(scores), g.int64([0, subCount, names.length])]);
  const parts = g.nodeN('Split', [bySub], names.length, { axis: attr.int(2) });
  names.forEach((name, i) => g.exportAs(g.node('Reshape', [parts[i]!, g.int64([0, subCount])]), name, ElemType.FLOAT, [BATCH, subCount]));
}

function built(g: OnnxGraph, mode: GraphMode, layerCounts: readonly number[]): BuiltGraph {
  return { bytes: () => g.serialize(OPSET), external: (dataFile) => g.serializeExternal(OPSET, dataFile), mode, layerCounts };
}

export function buildDiscriminatorGraph(model: ResolvedModel, mode: GraphMode, options: GraphOptions = {}): BuiltGraph {
  const g = new OnnxGraph(`tts-critic ${model.family.name} (${mode})`);
  const signals = signalsOf(g, mode);
  const lists = { distances: [] as string[], scores: [] as string[], native: [] as string[] };
  for (const sub of model.subs) {
    let outputs: string[];
    if (options.isolateSubs) {
      const taken = g.subgraph(`${sub.prefix}.then`, () => subOutputs(g, model.weights, signals, sub, model.family, options.native));
      outputs = isolated(g, signals, sub.prefix, taken, taken.outputs);
    } else {
      outputs = subOutputs(g, model.weights, signals, sub, model.family, options.native).map((o) => o.value);
    }
    collect(outputs, signals.pair, lists);
  }
  const layerCounts = layerCountsOf(model);
  exportScores(g, lists, layerCounts, signals.pair, options.native);
  return built(g, mode, layerCounts);
}

/** A graph optimized by onnxruntime on its own, as an If branch (model-parts.ts). */
export interface PartBranch {
  readonly graph: Uint8Array;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
}

/**
 * The isolated graph (GraphOptions.isolateSubs) in parts, for optimizing one sub at a time: a
 * session's peak memory while optimizing is that of its largest sub instead of the whole model.
 */
export interface PartedGraph {
  /** Per sub, builds a flat graph with the whole graph's inputs and the sub's outputs (see subOutputs). */
  readonly parts: readonly (() => BuiltGraph)[];
  /** The whole model, its subs' branches being the parts' graphs as onnxruntime optimized them, in order. */
  assemble(branches: readonly PartBranch[]): Uint8Array;
}

export function buildDiscriminatorParts(model: ResolvedModel, mode: GraphMode, native?: NativeTerms): PartedGraph {
  const pair = mode === 'pair';
  const terms = pair ? native : undefined;
  // A part's outputs, as subOutputs makes them, under names of their own: the branches are
  // siblings in the assembled model.
  const outputsOf = (sub: SubDiscriminatorSpec) => [
    ...(pair ? [{ name: `${sub.prefix}/fm`, type: ElemType.FLOAT, dims: [BATCH, featureCount(sub)] }] : []),
    { name: `${sub.prefix}/scores`, type: ElemType.FLOAT, dims: [BATCH, pair ? 3 : 2] },
    ...(terms ? [{ name: `${sub.prefix}/native`, type: ElemType.FLOAT, dims: [BATCH, NATIVE_COLUMNS[terms].length] }] : []),
  ];
  const part = (sub: SubDiscriminatorSpec) => (): BuiltGraph => {
    const g = new OnnxGraph(`tts-critic ${model.family.name} ${sub.prefix} (${mode})`);
    const outputs = subOutputs(g, model.weights, signalsOf(g, mode), sub, model.family, terms);
    outputsOf(sub).forEach((o, i) => g.exportAs(outputs[i]!.value, o.name, o.type, o.dims));
    return built(g, mode, [featureCount(sub)]);
  };
  const assemble = (branches: readonly PartBranch[]): Uint8Array => {
    if (branches.length !== model.subs.length) throw new Error('internal: one branch per sub');
    // Every name made here is prefixed: the branches were built by other builders.
    const g = new OnnxGraph(`tts-critic ${model.family.name} (${mode})`, 'assembly/');
    const signals = signalsOf(g, mode);
    const lists = { distances: [] as string[], scores: [] as string[], native: [] as string[] };
    model.subs.forEach((sub, i) => {
      g.importOpsets(branches[i]!.opsets);
      collect(isolated(g, signals, sub.prefix, { encoded: branches[i]!.graph }, outputsOf(sub)), pair, lists);
    });
    exportScores(g, lists, layerCountsOf(model), pair, terms);
    return g.serialize(OPSET);
  };
  return { parts: model.subs.map(part), assemble };
}
