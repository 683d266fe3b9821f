/**
 * Builds one ONNX graph for a whole discriminator family from its resolved layer table and
 * weights. The graph ends in the loss reductions, so feature maps never leave the runtime:
 *
 *   pair mode:     ref [B,T], syn [B,T]  ->  fm_layers [B,L], real [B,S], fake [B,S], gen [B,S]
 *   syn-only mode: syn [B,T]             ->  fake [B,S], gen [B,S]
 *
 * where L is the total number of feature maps (convs + conv_post of every sub) and S the
 * number of sub-discriminators. Ref and syn windows run as one batch of 2B items.
 */
import type { ResolvedModel, SubDiscriminatorSpec, WeightMap } from '../model/types.js';
import { attr, ElemType, OnnxGraph } from './onnx-graph.js';
import { avgPool, conv, periodView, spectrogram } from './ops.js';

export type GraphMode = 'pair' | 'syn-only';

export const OPSET = 17;

export interface BuiltGraph {
  readonly bytes: Uint8Array;
  readonly mode: GraphMode;
  /** Feature maps per sub-discriminator, in model order (their sum is L). */
  readonly layerCounts: readonly number[];
}

/** Runs one sub-discriminator on `x` [N,1,T]; returns its feature maps (last = conv_post output). */
function subNetwork(g: OnnxGraph, weights: WeightMap, x: string, sub: SubDiscriminatorSpec): string[] {
  let h = x;
  const input = sub.input;
  switch (input.kind) {
    case 'waveform':
      for (let i = 0; i < input.pool; i++) h = avgPool(g, h);
      break;
    case 'period':
      h = periodView(g, h, input.period);
      break;
    case 'resolution':
      h = spectrogram(g, h, input.nFft, input.hop, input.win, sub.prefix);
      break;
  }
  const fmaps: string[] = [];
  sub.convs.forEach((layer, i) => {
    h = conv(g, weights, h, `${sub.prefix}.convs.${i}`, layer);
    h = g.node('LeakyRelu', [h], { alpha: attr.float(sub.slope) });
    fmaps.push(h);
  });
  fmaps.push(conv(g, weights, h, `${sub.prefix}.conv_post`, sub.post));
  return fmaps;
}

/** Mean over every axis but the batch axis: [B, ...] -> [B]. */
function meanPerItem(g: OnnxGraph, x: string, rank: number): string {
  const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  return g.node('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(0) });
}

function squared(g: OnnxGraph, x: string): string {
  return g.node('Mul', [x, x]);
}

/** Stacks per-item vectors [B] into [B, n]. */
function stackColumns(g: OnnxGraph, columns: readonly string[]): string {
  const one = g.int64([1]);
  const unsqueezed = columns.map((c) => g.node('Unsqueeze', [c, one]));
  return unsqueezed.length === 1 ? unsqueezed[0]! : g.node('Concat', unsqueezed, { axis: attr.int(1) });
}

function rankOf(sub: SubDiscriminatorSpec): number {
  return sub.input.kind === 'waveform' ? 3 : 4;
}

export function buildDiscriminatorGraph(model: ResolvedModel, mode: GraphMode): BuiltGraph {
  const g = new OnnxGraph(`tts-critic ${model.family.name} (${mode})`);
  const batch = 'batch'; // the dynamic batch dimension's name in every input and output
  const syn = g.input('syn', ElemType.FLOAT, [batch, 'time']);
  const ref = mode === 'pair' ? g.input('ref', ElemType.FLOAT, [batch, 'time']) : undefined;
  const audio = ref ? g.node('Concat', [ref, syn], { axis: attr.int(0) }) : syn;
  const x = g.node('Unsqueeze', [audio, g.int64([1])]);
  const one = g.float32([1]);

  const layerMeans: string[] = [];
  const real: string[] = [];
  const fake: string[] = [];
  const gen: string[] = [];
  const layerCounts: number[] = [];

  for (const sub of model.subs) {
    const fmaps = subNetwork(g, model.weights, x, sub);
    layerCounts.push(fmaps.length);
    const rank = rankOf(sub);
    // The score is flatten(conv_post output); its mean over [1, ...] equals the flattened mean.
    const score = fmaps[fmaps.length - 1]!;
    if (ref) {
      for (const f of fmaps) {
        const [fr, fs] = g.nodeN('Split', [f], 2, { axis: attr.int(0) });
        layerMeans.push(meanPerItem(g, g.node('Abs', [g.node('Sub', [fr!, fs!])]), rank));
      }
      const [dr, ds] = g.nodeN('Split', [score], 2, { axis: attr.int(0) });
      real.push(meanPerItem(g, squared(g, g.node('Sub', [one, dr!])), rank));
      fake.push(meanPerItem(g, squared(g, ds!), rank));
      gen.push(meanPerItem(g, squared(g, g.node('Sub', [one, ds!])), rank));
    } else {
      fake.push(meanPerItem(g, squared(g, score), rank));
      gen.push(meanPerItem(g, squared(g, g.node('Sub', [one, score])), rank));
    }
  }

  const subCount = model.subs.length;
  const layerTotal = layerCounts.reduce((a, b) => a + b, 0);
  if (ref) {
    g.exportAs(stackColumns(g, layerMeans), 'fm_layers', ElemType.FLOAT, [batch, layerTotal]);
    g.exportAs(stackColumns(g, real), 'real', ElemType.FLOAT, [batch, subCount]);
  }
  g.exportAs(stackColumns(g, fake), 'fake', ElemType.FLOAT, [batch, subCount]);
  g.exportAs(stackColumns(g, gen), 'gen', ElemType.FLOAT, [batch, subCount]);
  return { bytes: g.serialize(OPSET), mode, layerCounts };
}
