/**
 * The log-mel spectrogram of GPT-SoVITS's mel loss (GPT_SoVITS/module/mel_processing.py with
 * configs/s2.json), and mel_l1 = mean |log-mel(ref) - log-mel(syn)|:
 * sr 32000, n_fft 2048, hop 640, win 2048 (periodic Hann), reflect padding of
 * (n_fft - hop) / 2 = 704 on each side, STFT with center=False, magnitude
 * sqrt(re^2 + im^2 + 1e-8), 128 Slaney mel bands over 0..16000 Hz, log(clamp(mel, 1e-5)).
 *
 * The FFT is fft.js (radix-4, double precision); the filterbank is our own (see
 * mel-filters.ts). Frames are computed one at a time from a span of the signal, so mel_l1 of
 * a long file can be streamed through an AudioReader without holding the spectrogram.
 */
import { pause } from '../util/yield.js';
import FFT from 'fft.js';
import { InputFileError } from '../errors.js';
import { melFilterbank, type MelBand } from './mel-filters.js';

/**
 * Looked up once: the per-frame loops call these ~1300 times a frame, and where this module
 * runs inside a VM context (a test runner's realm) every lookup of the global `Math` goes
 * through the context's interceptor, 40x slower than the math itself (measured, Node 20).
 */
const { abs, log, max, sqrt } = Math;

export const MEL_SAMPLE_RATE = 32000;
export const MEL_N_FFT = 2048;
export const MEL_HOP = 640;
export const MEL_BINS = 128;
/** Reflect padding on each side: (n_fft - hop) / 2. */
export const MEL_PAD = (MEL_N_FFT - MEL_HOP) / 2;
/**
 * Fewest samples the mel accepts: reflect padding of 704 needs more than 704 samples (PyTorch
 * refuses otherwise), which also guarantees at least one frame (floor(n / 640) >= 1).
 */
export const MEL_MIN_SAMPLES = MEL_PAD + 1;

export interface LogMel {
  readonly frames: number;
  readonly bins: 128;
  /** Frame-major: data[frame * 128 + band]. (PyTorch's tensor is [bands, frames].) */
  readonly data: Float32Array;
}

/** Frames of an n-sample signal: floor((n + 2 * 704 - 2048) / 640) + 1 = floor(n / 640). */
export function melFrameCount(n: number): number {
  return Math.floor((n + 2 * MEL_PAD - MEL_N_FFT) / MEL_HOP) + 1;
}

function checkLength(n: number): void {
  if (n < MEL_MIN_SAMPLES) {
    throw new InputFileError(
      `too short for mel_l1: ${n} samples at 32 kHz (${(n / MEL_SAMPLE_RATE).toFixed(3)} s); needs at least ${MEL_MIN_SAMPLES}`,
    );
  }
}

/** Input samples [start, end) that frames [f0, f1) of an n-sample signal read (after reflection). */
export function melInputSpan(n: number, f0: number, f1: number): { start: number; end: number } {
  return { start: Math.max(0, f0 * MEL_HOP - MEL_PAD), end: Math.min(n, (f1 - 1) * MEL_HOP + MEL_N_FFT - MEL_PAD) };
}

/** Reusable per-thread state: FFT plan, window, filterbank, scratch buffers. */
class MelComputer {
  private readonly fft = new FFT(MEL_N_FFT);
  private readonly window = new Float64Array(MEL_N_FFT);
  private readonly bands: MelBand[] = melFilterbank(MEL_SAMPLE_RATE, MEL_N_FFT, MEL_BINS, 0, MEL_SAMPLE_RATE / 2);
  private readonly frame = new Float64Array(MEL_N_FFT);
  private readonly spectrum = new Float64Array(2 * MEL_N_FFT);
  private readonly magnitude = new Float64Array(MEL_N_FFT / 2 + 1);

  constructor() {
    // torch.hann_window(2048), periodic: 0.5 - 0.5 cos(2 pi i / N).
    for (let i = 0; i < MEL_N_FFT; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / MEL_N_FFT);
  }

  /**
   * Log-mel of frame f of an n-sample signal into out[0..128). `seg` holds samples
   * [segStart, segStart + seg.length), which must include melInputSpan(n, f, f + 1).
   */
  logMelFrame(seg: Float32Array, segStart: number, n: number, f: number, out: Float64Array): void {
    const first = f * MEL_HOP - MEL_PAD; // original index of the frame's first sample
    for (let j = 0; j < MEL_N_FFT; j++) {
      let r = first + j;
      if (r < 0) r = -r;
      else if (r >= n) r = 2 * (n - 1) - r;
      this.frame[j] = seg[r - segStart]! * this.window[j]!;
    }
    this.fft.realTransform(this.spectrum, this.frame);
    const spec = this.spectrum;
    for (let k = 0; k <= MEL_N_FFT / 2; k++) {
      const re = spec[2 * k]!;
      const im = spec[2 * k + 1]!;
      this.magnitude[k] = sqrt(re * re + im * im + 1e-8);
    }
    for (let m = 0; m < MEL_BINS; m++) {
      const { start, weights } = this.bands[m]!;
      let s = 0;
      for (let i = 0; i < weights.length; i++) s += weights[i]! * this.magnitude[start + i]!;
      out[m] = log(max(s, 1e-5));
    }
  }
}

let shared: MelComputer | undefined;
function computer(): MelComputer {
  return (shared ??= new MelComputer());
}

/** Log-mel spectrogram of a 32 kHz signal (at least MEL_MIN_SAMPLES samples). */
export function logMelSpectrogram(x: Float32Array): LogMel {
  checkLength(x.length);
  const frames = melFrameCount(x.length);
  const data = new Float32Array(frames * MEL_BINS);
  const row = new Float64Array(MEL_BINS);
  const c = computer();
  for (let f = 0; f < frames; f++) {
    c.logMelFrame(x, 0, x.length, f, row);
    data.set(row, f * MEL_BINS);
  }
  return { frames, bins: MEL_BINS, data };
}

/** Sum of |ref - syn| over frames [f0, f1), each signal given as a segment starting at segStart. */
function l1Sum(ref: Float32Array, syn: Float32Array, segStart: number, n: number, f0: number, f1: number): number {
  const a = new Float64Array(MEL_BINS);
  const b = new Float64Array(MEL_BINS);
  const c = computer();
  let sum = 0;
  for (let f = f0; f < f1; f++) {
    c.logMelFrame(ref, segStart, n, f, a);
    c.logMelFrame(syn, segStart, n, f, b);
    for (let m = 0; m < MEL_BINS; m++) sum += abs(a[m]! - b[m]!);
  }
  return sum;
}

function checkPair(refLength: number, synLength: number): void {
  if (refLength !== synLength) {
    throw new RangeError(`mel_l1 needs signals of equal length (got ${refLength} and ${synLength}); trim them first`);
  }
  checkLength(refLength);
}

/**
 * mel_l1 as GPT-SoVITS computes it (F.l1_loss of the two log-mels): the mean over all
 * bands and frames. Both signals are 32 kHz and of equal length (RangeError otherwise).
 */
export function melL1(ref: Float32Array, syn: Float32Array): number {
  checkPair(ref.length, syn.length);
  const frames = melFrameCount(ref.length);
  return l1Sum(ref, syn, 0, ref.length, 0, frames) / (frames * MEL_BINS);
}

/** Reads 32 kHz samples [start, start + length) of one signal. */
export type SampleReader = (start: number, length: number) => Promise<Float32Array>;

/**
 * mel_l1 of two equally long 32 kHz signals read piecewise (e.g. AudioReader.read at 32000),
 * `framesPerStep` frames at a time: memory stays bounded for files of any length and the
 * result equals melL1 on the whole arrays.
 */
export async function melL1Streamed(ref: SampleReader, syn: SampleReader, length: number, framesPerStep = 1024): Promise<number> {
  checkPair(length, length);
  const frames = melFrameCount(length);
  let sum = 0;
  for (let f0 = 0; f0 < frames; f0 += framesPerStep) {
    const f1 = Math.min(frames, f0 + framesPerStep);
    const span = melInputSpan(length, f0, f1);
    await pause();
    const [a, b] = await Promise.all([ref(span.start, span.end - span.start), syn(span.start, span.end - span.start)]);
    sum += l1Sum(a, b, span.start, length, f0, f1);
  }
  return sum / (frames * MEL_BINS);
}

/**
 * Log-mel frames [f0, f1) of an n-sample 32 kHz signal read through `read` (frame-major, like
 * LogMel.data): the same values as logMelSpectrogram of the whole signal, for one stretch of it.
 */
export async function logMelFrames(read: SampleReader, n: number, f0: number, f1: number): Promise<Float32Array> {
  checkLength(n);
  const frames = melFrameCount(n);
  if (!(Number.isInteger(f0) && Number.isInteger(f1) && 0 <= f0 && f0 <= f1 && f1 <= frames)) {
    throw new RangeError(`frames [${f0}, ${f1}) are outside the signal's ${frames}`);
  }
  const out = new Float32Array((f1 - f0) * MEL_BINS);
  if (f1 === f0) return out;
  const span = melInputSpan(n, f0, f1);
  const samples = await read(span.start, span.end - span.start);
  const row = new Float64Array(MEL_BINS);
  const c = computer();
  for (let f = f0; f < f1; f++) {
    c.logMelFrame(samples, span.start, n, f, row);
    out.set(row, (f - f0) * MEL_BINS);
  }
  return out;
}
