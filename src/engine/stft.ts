/**
 * torch.stft magnitude with a rectangular `win`-long window centred in an `nFft` frame, as
 * ONNX ops that every provider has (onnxruntime's STFT op is missing on the WebGPU and CUDA
 * providers and slow on CPU). torch reflect-pads the signal by (nFft − hop) / 2 on each side;
 * only the window's `win` taps of a frame are non-zero, so the frame is read from the padded
 * signal shifted by the window's left offset.
 *
 * Two forms give the same values:
 * * direct: one strided Conv1d whose kernels are the cos and −sin rows of the DFT, 2·bins·win
 *   multiply-adds per frame;
 * * split (Cooley–Tukey, one step): with P dividing hop, nFft and win, the frame's samples
 *   m = P·q + r are P interleaved phases. A Conv1d runs the same (nFft/P)-point DFT of win/P
 *   taps over every phase of the signal (the phases as batch items), then one batched MatMul
 *   per inner frequency applies the twiddle factors and sums over the phases. About
 *   nFft·win/P + 2·nFft·P multiply-adds per frame: for nFft 4096 and P = 32, 0.6 M instead of
 *   9.8 M, and kernels of 0.3 M values instead of 9.8 M (39 MB of a session's weights).
 * The split form is used where P ≥ 2 exists; it is exact to float32 rounding.
 */
import { attr, type OnnxGraph } from './onnx-graph.js';

/** The largest P dividing hop, nFft and win, no larger than the cost optimum √(win / 2); 1 when none. */
export function phaseCount(nFft: number, hop: number, win: number): number {
  const limit = Math.sqrt(win / 2);
  let best = 1;
  for (let p = 2; p <= limit; p++) if (hop % p === 0 && nFft % p === 0 && win % p === 0) best = p;
  return best;
}

/** cos and −sin of 2π·j/n for every j < n, computed once (angles of k·m are reduced mod n in integers first). */
export function unitCircle(n: number): { cos: Float64Array; minusSin: Float64Array } {
  const cos = new Float64Array(n);
  const minusSin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const phase = (2 * Math.PI * j) / n;
    cos[j] = Math.cos(phase);
    minusSin[j] = -Math.sin(phase);
  }
  return { cos, minusSin };
}

/**
 * Kernels [2·count, 1, taps] of a real DFT of size n: rows k < count hold cos(2π·k·(m + offset)/n),
 * rows count + k hold −sin, for taps m. (The 17 M entries of the direct 4096-point kernel each
 * calling cos and sin were 0.4 s of a cold start, and 10x that under a test runner's VM
 * context, measured; looked up, the values are the same.)
 */
function dftKernel(n: number, count: number, taps: number, offset: number): Float32Array {
  const { cos, minusSin } = unitCircle(n);
  const kernel = new Float32Array(2 * count * taps);
  for (let k = 0; k < count; k++) {
    const re = kernel.subarray(k * taps, (k + 1) * taps);
    const im = kernel.subarray((count + k) * taps, (count + k + 1) * taps);
    // j = k·(m + offset) mod n, stepped by k.
    for (let m = 0, j = (k * offset) % n; m < taps; m++, j = (j + k) % n) {
      re[m] = cos[j]!;
      im[m] = minusSin[j]!;
    }
  }
  return kernel;
}

/**
 * How the signal is framed and windowed: `reflect` samples of reflect padding on each side
 * (UnivNet's (nFft − hop)/2, or nFft/2 for torch.stft's center=True) and the window's taps
 * (null: rectangular), `win` long, centred in the nFft frame.
 */
export interface Framing {
  readonly reflect: number;
  readonly window: Float64Array | null;
}

/** UnivNet / so-vits-svc 5 / BigVGAN v1 (DiscriminatorR): rectangular window, (nFft − hop)/2 padding. */
export function univnetFraming(nFft: number, hop: number): Framing {
  return { reflect: Math.floor((nFft - hop) / 2), window: null };
}

/** torch.hann_window(win) (periodic), in float64. */
export function hannWindow(win: number): Float64Array {
  const w = new Float64Array(win);
  for (let m = 0; m < win; m++) w[m] = 0.5 - 0.5 * Math.cos((2 * Math.PI * m) / win);
  return w;
}

/** Multiplies every row of `kernel` (rows of `taps` values) by the window's taps start, start + step, ... */
function windowRows(kernel: Float32Array, window: Float64Array, start: number, step: number): void {
  const taps = Math.floor((window.length - start + step - 1) / step);
  for (let row = 0; row < kernel.length / taps; row++) {
    for (let q = 0; q < taps; q++) kernel[row * taps + q] = kernel[row * taps + q]! * window[start + q * step]!;
  }
}

/** The frame count, floor((T + 2·reflect − nFft) / hop) + 1, from T as a 1-element int64 tensor. */
export function spectrogramFrames(g: OnnxGraph, length: string, nFft: number, hop: number, reflect = Math.floor((nFft - hop) / 2)): string {
  const span = g.node('Add', [length, g.int64([2 * reflect - nFft])]);
  return g.node('Add', [g.node('Div', [span, g.int64([hop])]), g.int64([1])]);
}

/** [B, T] -> [B, 1, L]: reflect-padded and shifted to the window's first tap (torch.stft's frames, window taps only). */
function framedSignal(g: OnnxGraph, audio: string, nFft: number, hop: number, win: number, reflect: number): string {
  const left = Math.floor((nFft - win) / 2);
  const x = g.node('Unsqueeze', [audio, g.int64([1])]);
  const padded = g.node('Pad', [x, g.int64([0, 0, reflect, 0, 0, reflect])], { mode: attr.string('reflect') });
  // The samples the frames read: (frames − 1)·hop + win.
  const frames = spectrogramFrames(g, g.node('Shape', [audio], { start: attr.int(1), end: attr.int(2) }), nFft, hop, reflect);
  const used = g.node('Add', [g.node('Mul', [g.node('Sub', [frames, g.int64([1])]), g.int64([hop])]), g.int64([win])]);
  return g.node('Slice', [padded, g.int64([left]), g.node('Add', [used, g.int64([left])]), g.int64([2])]);
}

/** |X| from [.., 2·n, ..] holding re (first n) and im (last n) along `axis`. */
function magnitude(g: OnnxGraph, x: string, n: number, axis: number): string {
  const [re, im] = g.nodeN('Split', [x, g.int64([n, n])], 2, { axis: attr.int(axis) });
  return g.node('Sqrt', [g.node('Add', [g.node('Mul', [re!, re!]), g.node('Mul', [im!, im!])])]);
}

/**
 * The spectrogram's magnitude of audio [B, T], transposed from torch's [B, 1, bins, frames]:
 * [B, 1, frames, nFft/2 + 1], time on the height and frequency on the width (see ops.ts,
 * `image` layout).
 */
export function spectrogram(g: OnnxGraph, audio: string, nFft: number, hop: number, win: number, key: string, framing: Framing = univnetFraming(nFft, hop)): string {
  const p = phaseCount(nFft, hop, win);
  const magnitudes = p > 1 ? splitDft(g, audio, nFft, hop, win, p, key, framing) : directDft(g, audio, nFft, hop, win, key, framing);
  return g.node('Unsqueeze', [g.node('Transpose', [magnitudes], { perm: attr.ints([0, 2, 1]) }), g.int64([1])]);
}

/** [B, bins, frames] by one strided Conv1d over the window's taps. */
function directDft(g: OnnxGraph, audio: string, nFft: number, hop: number, win: number, key: string, framing: Framing): string {
  const bins = nFft / 2 + 1;
  const left = Math.floor((nFft - win) / 2);
  const signal = framedSignal(g, audio, nFft, hop, win, framing.reflect);
  const kernel = dftKernel(nFft, bins, win, left);
  if (framing.window) windowRows(kernel, framing.window, 0, 1);
  const dft = g.node('Conv', [signal, g.floatTensor(`${key}.dft_kernel`, [2 * bins, 1, win], kernel)], {
    kernel_shape: attr.ints([win]),
    strides: attr.ints([hop]),
  });
  return magnitude(g, dft, bins, 1);
}

/**
 * [B, bins, frames] in two steps (see the file comment). With n = nFft, Q' = n/P inner points
 * and Y_r[k1] the inner DFT of phase r (frame f's samples f·hop + P·q + r, q < win/P):
 *
 *   X[k] = Σ_r e^{−2πi·k·(r + left)/n} · Y_r[k mod Q'],   Y_r[Q' − k1] = conj(Y_r[k1]) (real input)
 *
 * so only k1 = 0 … Q'/2 are computed, and each serves the bins k ≡ ±k1 (mod Q'): at most P
 * bins, the MatMul's J output slots per k1 (unused slots have zero weights).
 */
function splitDft(g: OnnxGraph, audio: string, nFft: number, hop: number, win: number, p: number, key: string, framing: Framing): string {
  const left = Math.floor((nFft - win) / 2);
  const inner = nFft / p; // Q'
  const taps = win / p;
  const k1Count = Math.floor(inner / 2) + 1;
  const slots = p; // J: bins served by one k1, at most
  const signal = framedSignal(g, audio, nFft, hop, win, framing.reflect);
  const windows = g.node('Shape', [audio], { start: attr.int(0), end: attr.int(1) });

  // [B, 1, L] -> [B, L/P, P] -> [B, P, L/P]
  const phases = g.node('Transpose', [g.node('Reshape', [signal, g.int64([0, -1, p])])], { perm: attr.ints([0, 2, 1]) });
  const innerKernel = dftKernel(inner, k1Count, taps, 0);
  let y: string;
  if (framing.window) {
    // A window makes each phase's taps weigh differently (tap q of phase r is sample P·q + r),
    // so each phase gets its own windowed kernels: one plain Conv per phase, their outputs
    // stacked as [B, P·2·K, F]. (One Conv grouped by phase computes the same on the CPU, but
    // onnxruntime's WebGPU provider gets grouped convs with one input channel and several
    // outputs per group wrong, measured.)
    const perPhase: string[] = [];
    for (let r = 0; r < p; r++) {
      const rows = innerKernel.slice();
      windowRows(rows, framing.window, r, p);
      const phase = g.node('Slice', [phases, g.int64([r]), g.int64([r + 1]), g.int64([1])]);
      perPhase.push(
        g.node('Conv', [phase, g.floatTensor(`${key}.dft_inner${r}`, [2 * k1Count, 1, taps], rows)], {
          kernel_shape: attr.ints([taps]),
          strides: attr.ints([hop / p]),
        }),
      );
    }
    y = g.node('Concat', perPhase, { axis: attr.int(1) });
  } else {
    // -> [B·P, 1, L/P]: phase r of window b is item b·P + r.
    const items = g.node('Reshape', [phases, g.int64([-1, 1, 0])]);
    y = g.node('Conv', [items, g.floatTensor(`${key}.dft_inner`, [2 * k1Count, 1, taps], innerKernel)], {
      kernel_shape: attr.ints([taps]),
      strides: attr.ints([hop / p]),
    });
  }
  // Every reordering below moves whole rows of F frames (onnxruntime copies those fast; one
  // that moved single values cost more than the convolution it served, measured).
  // [B·P, 2·K, F] or [B, P·2·K, F] (re rows, then im rows) -> [B, P, 2, K, F] -> [K, B, P, 2, F] -> [K, B, 2P, F]
  const split = g.node('Reshape', [y, g.node('Concat', [windows, g.int64([p, 2, k1Count, -1])], { axis: attr.int(0) })]);
  const byK1 = g.node('Transpose', [split], { perm: attr.ints([3, 0, 1, 2, 4]) });
  const columns = g.node('Reshape', [byK1, g.int64([0, 0, 2 * p, -1])]);
  // [K, 1, 2J, 2P] x [K, B, 2P, F] -> [K, B, 2J, F]: (re, im) of the bin in slot j in rows 2j, 2j + 1
  const outer = g.node('MatMul', [g.floatTensor(`${key}.dft_outer`, [k1Count, 1, 2 * slots, 2 * p], twiddles(nFft, p, left, slots)), columns]);
  const pairs = g.node('Reshape', [outer, g.int64([0, 0, slots, 2, -1])]);
  const mag = magnitude(g, pairs, 1, 3); // [K, B, J, 1, F]
  // -> [B, K, J, F] -> [B, K·J, F] -> the bins in order: [B, bins, F]
  const perWindow = g.node('Reshape', [g.node('Transpose', [mag], { perm: attr.ints([1, 0, 2, 3, 4]) }), g.int64([0, k1Count * slots, -1])]);
  return g.node('Gather', [perWindow, g.int64(binSlots(nFft, p, slots))], { axis: attr.int(1) });
}

/** For each bin k ≤ nFft/2: its inner frequency k1, whether it uses conj(Y[k1]), and its slot among k1's bins. */
function binAssignment(nFft: number, p: number): { k1: number; mirrored: boolean; slot: number }[] {
  const inner = nFft / p;
  const used = new Map<number, number>();
  const out: { k1: number; mirrored: boolean; slot: number }[] = [];
  for (let k = 0; k <= nFft / 2; k++) {
    const rest = k % inner;
    const mirrored = rest > inner / 2;
    const k1 = mirrored ? inner - rest : rest;
    const slot = used.get(k1) ?? 0;
    used.set(k1, slot + 1);
    out.push({ k1, mirrored, slot });
  }
  return out;
}

/** Gather indices into the flattened [K, J] magnitudes, one per bin. */
export function binSlots(nFft: number, p: number, slots: number): number[] {
  return binAssignment(nFft, p).map(({ k1, slot }) => {
    if (slot >= slots) throw new Error('internal: split DFT slot overflow');
    return k1 * slots + slot;
  });
}

/**
 * The outer step's weights [K, 1, 2J, 2P]: output (re, im) of the bin in slot j at rows 2j,
 * 2j + 1; input (re, im) of Y_r[k1] at columns 2r, 2r + 1. With T = e^{−2πi·k·(r + left)/n} =
 * c + i·s and Y = a ± i·b (minus for a mirrored bin): re = c·a ∓ s·b, im = s·a ± c·b.
 */
export function twiddles(nFft: number, p: number, left: number, slots: number): Float32Array {
  const inner = nFft / p;
  const k1Count = Math.floor(inner / 2) + 1;
  const { cos, minusSin } = unitCircle(nFft);
  const w = new Float32Array(k1Count * 2 * slots * 2 * p);
  const at = (k1: number, input: number, output: number) => (k1 * 2 * slots + output) * 2 * p + input;
  binAssignment(nFft, p).forEach(({ k1, mirrored, slot }, k) => {
    const sign = mirrored ? -1 : 1;
    for (let r = 0; r < p; r++) {
      const j = (k * (r + left)) % nFft;
      const c = cos[j]!;
      const s = minusSin[j]!;
      w[at(k1, 2 * r, 2 * slot)] = c;
      w[at(k1, 2 * r + 1, 2 * slot)] = -sign * s;
      w[at(k1, 2 * r, 2 * slot + 1)] = s;
      w[at(k1, 2 * r + 1, 2 * slot + 1)] = sign * c;
    }
  });
  return w;
}
