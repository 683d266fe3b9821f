/**
 * Per-window terms of the families' own adversarial losses (`--loss native`), computed from a
 * sub's logits in the graph like the standard scores (losses.ts), so that logits never leave
 * the runtime:
 *
 * * hinge (Vocos, EnCodec/AudioCraft): [B, 4] = mean relu(1 − D(ref)), mean relu(1 + D(syn)),
 *   mean relu(1 − D(syn)), mean D(syn);
 * * TPRLS (StyleTTS 2, losses.py): [B, 2] = the generator's and the discriminator's term, each
 *   min(τ, mean((d − m)²) over the elements below the median m of the logit differences d).
 *
 * Every term is over one window's logits, whatever their order: a period view's phase columns
 * (time-on-width) and a spectrogram's frames (image) are both just flattened per window.
 * Feature losses need nothing new: they are the fm distances, scaled (model/native-loss.ts).
 */
import { attr, ElemType, type OnnxGraph } from './onnx-graph.js';
import type { FeatureMap } from './losses.js';
import type { Layout } from './ops.js';
import { perWindowShape } from './reductions.js';

export type NativeTerms = 'hinge' | 'tprls';

/** Columns per sub that each kind of terms adds. */
export const NATIVE_COLUMNS: Readonly<Record<NativeTerms, readonly string[]>> = {
  hinge: ['hinge_real', 'hinge_fake', 'hinge_gen', 'syn_mean'],
  tprls: ['tprls_gen', 'tprls_disc'],
};

/** A pair-mode logits map as [B, n] per side: each window's logits, flattened. */
function logitRows(g: OnnxGraph, logits: FeatureMap, layout: Layout, windows: string): [string, string] {
  const flat = (x: string) => g.node('Reshape', [x, perWindowShape(g, windows, [-1])]);
  if (layout === 'image') {
    if (logits.values.length !== 2) throw new Error('internal: native terms need the reference branch');
    return [flat(logits.values[0]!), flat(logits.values[1]!)];
  }
  // Time-on-width [R, 1, 2, W]: rows ref, syn.
  const [r, s] = g.nodeN('Split', [logits.values[0]!], 2, { axis: attr.int(2) });
  return [flat(r!), flat(s!)];
}

const mean = (g: OnnxGraph, x: string) => g.node('ReduceMean', [x], { axes: attr.ints([1]), keepdims: attr.int(1) });

function hinge(g: OnnxGraph, real: string, syn: string): string {
  const one = g.float32([1]);
  const terms = [
    g.node('Relu', [g.node('Sub', [one, real])]),
    g.node('Relu', [g.node('Add', [one, syn])]),
    g.node('Relu', [g.node('Sub', [one, syn])]),
    syn,
  ];
  return g.node('Concat', terms.map((t) => mean(g, t)), { axis: attr.int(1) });
}

/**
 * torch.median of each row of d [B, n] (the lower middle value for even n): the
 * (⌊(n − 1)/2⌋ + 1)-th smallest, by TopK.
 */
function lowerMedian(g: OnnxGraph, d: string): string {
  const n = g.node('Shape', [d], { start: attr.int(1), end: attr.int(2) });
  const k = g.node('Add', [g.node('Div', [g.node('Sub', [n, g.int64([1])]), g.int64([2])]), g.int64([1])]);
  const [smallest] = g.nodeN('TopK', [d, k], 2, { axis: attr.int(1), largest: attr.int(0), sorted: attr.int(1) });
  return g.node('Slice', [smallest!, g.node('Sub', [k, g.int64([1])]), k, g.int64([1])]);
}

/**
 * One TPRLS term per window: d = a − b, m = median(d), L = mean((d − m)²) over the elements
 * with a < b + m, min(L, τ). Where no element qualifies upstream's mean of nothing is NaN; here
 * L is 0 (the term adds nothing to the loss it was meant to cap).
 */
function tprlsTerm(g: OnnxGraph, a: string, b: string, tau: number): string {
  const d = g.node('Sub', [a, b]);
  const m = lowerMedian(g, d);
  const below = g.node('Cast', [g.node('Less', [a, g.node('Add', [b, m])])], { to: attr.int(ElemType.FLOAT) });
  const deviation = g.node('Sub', [d, m]);
  const sum = (x: string) => g.node('ReduceSum', [x, g.int64([1])], { keepdims: attr.int(1) });
  const squares = sum(g.node('Mul', [below, g.node('Mul', [deviation, deviation])]));
  const count = g.node('Max', [sum(below), g.float32([1])]);
  return g.node('Min', [g.node('Div', [squares, count]), g.float32([tau])]);
}

/** StyleTTS 2's τ (losses.py). */
export const TPRLS_TAU = 0.04;

/** The native terms of one sub per window: [B, NATIVE_COLUMNS[terms].length]. Pair mode only. */
export function nativeColumns(g: OnnxGraph, logits: FeatureMap, layout: Layout, windows: string, terms: NativeTerms): string {
  const [real, syn] = logitRows(g, logits, layout, windows);
  if (terms === 'hinge') return hinge(g, real, syn);
  // Generator: d = g − r over g < r + m; discriminator: d = r − g over r < g + m.
  return g.node('Concat', [tprlsTerm(g, syn, real, TPRLS_TAU), tprlsTerm(g, real, syn, TPRLS_TAU)], { axis: attr.int(1) });
}
