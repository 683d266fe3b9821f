/**
 * The complex short-time Fourier transforms of the codec-era discriminators (DAC, Vocos,
 * EnCodec/AudioCraft): real and imaginary parts as two channels, [N, 2, frames, bins], time on
 * the height and frequency on the width, which is upstream's own layout for these networks
 * (`b c t f`), so their (time, frequency) kernels apply as they are.
 *
 * Every variant uses a periodic Hann window as long as the transform (win = nFft); they differ
 * in framing:
 * * `dac` (audiotools AudioSignal.stft, match_stride): reflect-pad (nFft − hop)/2 on the left
 *   and (nFft − hop)/2 + r on the right, r = ceil(T/hop)·hop − T, then torch.stft's own
 *   center reflect of nFft/2, and the first two and last two frames dropped: ceil(T/hop) frames;
 * * `center` (torchaudio Spectrogram, center=True, Vocos): reflect nFft/2, 1 + T // hop frames;
 * * `none` (torchaudio Spectrogram, center=False, EnCodec): no padding, 1 + (T − nFft) // hop
 *   frames; EnCodec's is also normalized (values divided by sqrt(Σ window²)).
 *
 * The transform is the split DFT of stft.ts (one Cooley–Tukey step over P phases, then a
 * batched MatMul with the twiddles) of the unwindowed frames, and the window applied in the
 * frequency domain: a periodic Hann of n taps is 0.5 − 0.25·e^{2πim/n} − 0.25·e^{−2πim/n}, so
 * X_w[k] = 0.5·X[k] − 0.25·(X[k − 1] + X[k + 1]), with X[−1] = conj X[1] and
 * X[n/2 + 1] = conj X[n/2 − 1] (real input): two Slices and an Add on the spectrum. Folding
 * the window into the inner kernels instead gives each phase its own kernels, a Conv grouped by
 * phase, which onnxruntime's WebGPU provider computed wrongly (4% of the values' scale off on
 * lavapipe, measured; the ungrouped form agrees to float32 rounding). No element loops run in
 * the graph; every reordering moves whole rows of frames.
 */
import type { StftFraming } from '../model/types.js';
import { attr, type OnnxGraph } from './onnx-graph.js';
import { binSlots, phaseCount, twiddles, unitCircle } from './stft.js';

/** How the signal is padded and framed (model/types.ts StftFraming; frame counts: model/geometry.ts stftFrames). */
export type ComplexFraming = StftFraming;

export interface ComplexStft {
  readonly nFft: number;
  readonly hop: number;
  readonly framing: ComplexFraming;
  /** torchaudio's normalized=True: values divided by sqrt(Σ window²) (EnCodec). */
  readonly normalized?: boolean;
}

/** The periodic Hann window of n taps (torch.hann_window and scipy get_window('hann') agree), in float64. */
export function periodicHann(n: number): Float64Array {
  const { cos } = unitCircle(n);
  return Float64Array.from(cos, (c) => 0.5 - 0.5 * c);
}

/** 1, or 1/sqrt(Σ window²) where normalized (torchaudio's normalized=True). */
function windowScale(spec: ComplexStft): number {
  if (!spec.normalized) return 1;
  return 1 / Math.sqrt(periodicHann(spec.nFft).reduce((sum, w) => sum + w * w, 0));
}

/** The window the transform multiplies by: Hann, times windowScale. */
function transformWindow(spec: ComplexStft): Float64Array {
  const scale = windowScale(spec);
  return periodicHann(spec.nFft).map((w) => w * scale);
}

/** The frame count as a 1-element int64 tensor, from T (also 1-element int64). */
export function complexFrames(g: OnnxGraph, length: string, spec: ComplexStft): string {
  const { nFft, hop } = spec;
  switch (spec.framing) {
    case 'dac':
      return g.node('Div', [g.node('Add', [length, g.int64([hop - 1])]), g.int64([hop])]);
    case 'center':
      return g.node('Add', [g.node('Div', [length, g.int64([hop])]), g.int64([1])]);
    case 'none':
      return g.node('Add', [g.node('Div', [g.node('Sub', [length, g.int64([nFft])]), g.int64([hop])]), g.int64([1])]);
  }
}

/** [N, T] -> [N, 1, L]: the padded signal from its first kept frame's first sample, L = (frames − 1)·hop + nFft. */
function framed(g: OnnxGraph, audio: string, spec: ComplexStft): string {
  const { nFft, hop } = spec;
  // DAC's MRD always has hop = w/4 (its hop factor 0.25); its frame count and the skipped
  // centring pad below rely on that.
  if (spec.framing === 'dac' && 4 * hop !== nFft) throw new Error(`internal: dac framing needs hop = nFft/4, got ${nFft}/${hop}`);
  const length = g.node('Shape', [audio], { start: attr.int(1), end: attr.int(2) });
  const frames = complexFrames(g, length, spec);
  const used = g.node('Add', [g.node('Mul', [g.node('Sub', [frames, g.int64([1])]), g.int64([hop])]), g.int64([nFft])]);
  let x = g.node('Unsqueeze', [audio, g.int64([1])]);
  const reflect = (pads: string) => g.node('Pad', [x, pads], { mode: attr.string('reflect') });
  if (spec.framing === 'dac') {
    const side = Math.floor((nFft - hop) / 2);
    // r = ceil(T/hop)·hop − T = frames·hop − T.
    const right = g.node('Add', [g.node('Sub', [g.node('Mul', [frames, g.int64([hop])]), length]), g.int64([side])]);
    x = reflect(g.node('Concat', [g.int64([0, 0, side, 0, 0]), right], { axis: attr.int(0) }));
    // torch.stft's centring pads nFft/2 more, and frames 0 and 1 (dropped) start at 0 and hop:
    // with hop = nFft/4 the kept frames start at the centring pad's end and never read it.
  } else if (spec.framing === 'center') {
    x = reflect(g.int64([0, 0, nFft / 2, 0, 0, nFft / 2]));
  }
  return g.node('Slice', [x, g.int64([0]), used, g.int64([2])]);
}

/**
 * The complex STFT of audio [N, T] as [N, 2, frames, nFft/2 + 1]: channel 0 the real part,
 * channel 1 the imaginary part (torch's sign: X[k] = Σ w·x·e^{−2πi·k·m/n}).
 */
export function complexSpectrogram(g: OnnxGraph, audio: string, spec: ComplexStft, key: string): string {
  const p = phaseCount(spec.nFft, spec.hop, spec.nFft);
  const signal = framed(g, audio, spec);
  const bins = spec.nFft / 2 + 1;
  if (p === 1) {
    // One ungrouped Conv with the window in its kernels: [N, 2·bins, frames] -> [N, 2, bins, frames]
    const dft = g.node('Conv', [signal, g.floatTensor(`${key}.complex_dft`, [2 * bins, 1, spec.nFft], windowedDft(spec.nFft, bins, transformWindow(spec), 1, 0))], {
      kernel_shape: attr.ints([spec.nFft]),
      strides: attr.ints([spec.hop]),
    });
    const parts = g.node('Reshape', [dft, g.int64([0, 2, bins, -1])]);
    return g.node('Transpose', [parts], { perm: attr.ints([0, 1, 3, 2]) });
  }
  return splitComplex(g, audio, signal, spec, p, key);
}

/**
 * Kernels of phase r of a windowed DFT of size n split into p phases: [2·count, taps] with
 * rows k < count holding window[p·q + r]·cos(2π·k·q/(n/p)) and rows count + k the −sin terms.
 * `p` = 1, r = 0 is the direct DFT.
 */
function windowedDft(n: number, count: number, window: Float64Array, p: number, r: number): Float32Array {
  const inner = n / p;
  const taps = inner;
  const { cos, minusSin } = unitCircle(inner);
  const kernel = new Float32Array(2 * count * taps);
  for (let k = 0; k < count; k++) {
    for (let q = 0, j = 0; q < taps; q++, j = (j + k) % inner) {
      const w = window[p * q + r]!;
      kernel[k * taps + q] = w * cos[j]!;
      kernel[(count + k) * taps + q] = w * minusSin[j]!;
    }
  }
  return kernel;
}

/**
 * The Hann window applied to an unwindowed spectrum [N, 2 (re, im), bins, F] of n = 2·(bins − 1)
 * points, times `scale`: X_w[k] = scale·(0.5·X[k] − 0.25·(X[k − 1] + X[k + 1])). The spectrum
 * is extended by one bin each side with the conjugate mirror (reflect, the imaginary part's
 * two new bins negated).
 */
function hannInFrequency(g: OnnxGraph, spectrum: string, bins: number, scale: number): string {
  const padded = g.node('Pad', [spectrum, g.int64([0, 0, 1, 0, 0, 0, 1, 0])], { mode: attr.string('reflect') });
  const signs = new Float32Array(2 * (bins + 2)).fill(1);
  signs[bins + 2] = -1;
  signs[2 * (bins + 2) - 1] = -1;
  const mirrored = g.node('Mul', [padded, g.floatTensor(g.fresh('conj_mirror'), [1, 2, bins + 2, 1], signs)]);
  const neighbour = (start: number) => g.node('Slice', [mirrored, g.int64([start]), g.int64([start + bins]), g.int64([2])]);
  const sides = g.node('Add', [neighbour(0), neighbour(2)]);
  return g.node('Sub', [g.node('Mul', [spectrum, g.float32([0.5 * scale])]), g.node('Mul', [sides, g.float32([0.25 * scale])])]);
}

/** The split form (stft.ts's splitDft) of the unwindowed frames, keeping real and imaginary parts, then the window (hannInFrequency). */
function splitComplex(g: OnnxGraph, audio: string, signal: string, spec: ComplexStft, p: number, key: string): string {
  const { nFft, hop } = spec;
  const inner = nFft / p;
  const taps = inner;
  const k1Count = Math.floor(inner / 2) + 1;
  const slots = p;
  const windows = g.node('Shape', [audio], { start: attr.int(0), end: attr.int(1) });
  // [N, 1, L] -> [N, L/P, P] -> [N, P, L/P] -> [N·P, 1, L/P]: phase r of window b is item b·P + r.
  const phases = g.node('Transpose', [g.node('Reshape', [signal, g.int64([0, -1, p])])], { perm: attr.ints([0, 2, 1]) });
  const items = g.node('Reshape', [phases, g.int64([-1, 1, 0])]);
  const y = g.node('Conv', [items, g.floatTensor(`${key}.complex_dft_inner`, [2 * k1Count, 1, taps], windowedDft(nFft, k1Count, new Float64Array(nFft).fill(1), p, 0))], {
    kernel_shape: attr.ints([taps]),
    strides: attr.ints([hop / p]),
  });
  // [N·P, 2·K, F] -> [N, P, 2, K, F] -> [K, N, P, 2, F] -> [K, N, 2P, F]
  const split = g.node('Reshape', [y, g.node('Concat', [windows, g.int64([p, 2, k1Count, -1])], { axis: attr.int(0) })]);
  const byK1 = g.node('Transpose', [split], { perm: attr.ints([3, 0, 1, 2, 4]) });
  const columns = g.node('Reshape', [byK1, g.int64([0, 0, 2 * p, -1])]);
  // [K, 1, 2J, 2P] x [K, N, 2P, F] -> [K, N, 2J, F], (re, im) of slot j in rows 2j, 2j + 1.
  const outer = g.node('MatMul', [g.floatTensor(`${key}.complex_dft_outer`, [k1Count, 1, 2 * slots, 2 * p], twiddles(nFft, p, 0, slots)), columns]);
  // -> [K, N, J, 2, F] -> [N, 2, K, J, F] -> [N, 2, K·J, F] -> the bins in order [N, 2, bins, F]
  const pairs = g.node('Reshape', [outer, g.int64([0, 0, slots, 2, -1])]);
  const parts = g.node('Transpose', [pairs], { perm: attr.ints([1, 3, 0, 2, 4]) });
  const flat = g.node('Reshape', [parts, g.int64([0, 2, k1Count * slots, -1])]);
  const spectrum = g.node('Gather', [flat, g.int64(binSlots(nFft, p, slots))], { axis: attr.int(2) });
  const windowed = hannInFrequency(g, spectrum, nFft / 2 + 1, windowScale(spec));
  return g.node('Transpose', [windowed], { perm: attr.ints([0, 1, 3, 2]) });
}
