/**
 * The tensors BigVGAN v2's CQT-D stores as buffers, derived from its configuration, for runs
 * without a checkpoint (untrained weights) and tests: torchaudio's 1:2 resampling kernel and
 * nnAudio CQT2010v2's top-octave kernels, lowpass filter and lengths. Computed in float64 and
 * rounded to float32 as upstream stores them; a checkpoint's own buffers always take
 * precedence (the loader reads them).
 */
import { CQT_BUFFERS } from './keys.js';
import type { Float32Tensor, SubDiscriminatorSpec } from './types.js';

/** nnAudio's default lowest CQT frequency (C1). */
const FMIN = 32.7;

/**
 * torchaudio Resample(fs, 2·fs) kernel [2, 1, 15]: sinc_interp_hann, lowpass_filter_width 6,
 * rolloff 0.99, the rates reduced by their gcd to 1 and 2 (_get_sinc_resample_kernel).
 */
export function resampleKernel2x(): Float32Tensor {
  const orig = 1;
  const next = 2;
  const lowpassWidth = 6;
  const base = Math.min(orig, next) * 0.99;
  const width = Math.ceil((lowpassWidth * orig) / base);
  const taps = 2 * width + orig;
  const data = new Float32Array(next * taps);
  for (let phase = 0; phase < next; phase++) {
    for (let i = 0; i < taps; i++) {
      let t = (-phase / next + (i - width) / orig) * base;
      t = Math.min(lowpassWidth, Math.max(-lowpassWidth, t));
      const window = Math.cos((t * Math.PI) / lowpassWidth / 2) ** 2;
      const x = t * Math.PI;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      data[phase * taps + i] = sinc * window * (base / orig);
    }
  }
  return { shape: [next, 1, taps], data };
}

/**
 * nnAudio create_lowpass_filter(band_center 0.5, kernelLength 256, transitionBandwidth 0.001):
 * scipy.signal.firwin2 on the gains (1, 1, 0, 0) at (0, 0.5/1.001, 0.5·1.001, 1): the
 * response interpolated on 257 points, linear phase, inverse real FFT (512 points), the first
 * 256 taps times a symmetric Hamming window.
 */
export function cqtLowpassFilter(taps = 256): Float32Tensor {
  const transition = 0.001;
  const keys = [0, 0.5 / (1 + transition), 0.5 * (1 + transition), 1];
  const gains = [1, 1, 0, 0];
  const points = 1 + 2 ** Math.ceil(Math.log2(taps));
  const n = 2 * (points - 1);
  const interp = (x: number): number => {
    for (let i = 1; i < keys.length; i++) {
      if (x <= keys[i]!) return gains[i - 1]! + ((gains[i]! - gains[i - 1]!) * (x - keys[i - 1]!)) / (keys[i]! - keys[i - 1]!);
    }
    return gains[gains.length - 1]!;
  };
  // X_k = gain(x_k)·e^{−iπ·(taps − 1)/2·x_k}, x_k = k / (points − 1).
  const re = new Float64Array(points);
  const im = new Float64Array(points);
  for (let k = 0; k < points; k++) {
    const x = k / (points - 1);
    const gain = interp(x);
    const phase = (-(taps - 1) / 2) * Math.PI * x;
    re[k] = gain * Math.cos(phase);
    im[k] = gain * Math.sin(phase);
  }
  const data = new Float32Array(taps);
  for (let t = 0; t < taps; t++) {
    // irfft: the imaginary parts of X_0 and X_{n/2} are ignored.
    let sum = re[0]! + re[points - 1]! * (t % 2 === 0 ? 1 : -1);
    for (let k = 1; k < points - 1; k++) {
      const angle = (2 * Math.PI * ((k * t) % n)) / n;
      sum += 2 * (re[k]! * Math.cos(angle) - im[k]! * Math.sin(angle));
    }
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * t) / (taps - 1));
    data[t] = (sum / n) * hamming;
  }
  return { shape: [1, 1, taps], data };
}

/**
 * nnAudio CQT2010v2's top-octave kernels at rate `sampleRate` (2·fs for the CQT-D):
 * create_cqt_kernels(Q, sr, fmin_t, bpo, bpo, norm 1, hann), time domain, each kernel
 * centred in the next power of two of the longest; and the per-bin lengths ceil(Q·sr/f_k)
 * over all octaves.
 */
export function cqtKernels(sampleRate: number, binsPerOctave: number, octaves: number): { real: Float32Tensor; imag: Float32Tensor; lengths: Float32Tensor } {
  const q = 1 / (2 ** (1 / binsPerOctave) - 1);
  const fmaxTop = FMIN * 2 ** (octaves - 1) * 2 ** ((binsPerOctave - 1) / binsPerOctave);
  const fminTop = fmaxTop / 2 ** (1 - 1 / binsPerOctave);
  const freqs = Array.from({ length: binsPerOctave }, (_, k) => fminTop * 2 ** (k / binsPerOctave));
  const lengths = freqs.map((f) => Math.ceil((q * sampleRate) / f));
  const fftLen = 2 ** Math.ceil(Math.log2(Math.max(...lengths)));
  const real = new Float32Array(binsPerOctave * fftLen);
  const imag = new Float32Array(binsPerOctave * fftLen);
  freqs.forEach((freq, k) => {
    const l = lengths[k]!;
    const start = Math.ceil(fftLen / 2 - l / 2) - (l % 2 === 1 ? 1 : 0);
    const re = new Float64Array(l);
    const im = new Float64Array(l);
    let norm = 0;
    for (let j = 0; j < l; j++) {
      // scipy get_window('hann', l, fftbins=True): periodic.
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / l);
      const phase = (2 * Math.PI * (Math.floor(-l / 2) + j) * freq) / sampleRate;
      re[j] = (w * Math.cos(phase)) / l;
      im[j] = (w * Math.sin(phase)) / l;
      norm += Math.hypot(re[j]!, im[j]!);
    }
    for (let j = 0; j < l; j++) {
      real[k * fftLen + start + j] = re[j]! / norm;
      imag[k * fftLen + start + j] = im[j]! / norm;
    }
  });
  return { real: { shape: [binsPerOctave, 1, fftLen], data: real }, imag: { shape: [binsPerOctave, 1, fftLen], data: imag }, lengths: cqtLengths(sampleRate, binsPerOctave, octaves) };
}

/** nnAudio's `lenghts` buffer: ceil(Q·sr/f_k) for every bin k of every octave, f_k = fmin·2^(k/bpo). */
export function cqtLengths(sampleRate: number, binsPerOctave: number, octaves: number): Float32Tensor {
  const q = 1 / (2 ** (1 / binsPerOctave) - 1);
  const bins = binsPerOctave * octaves;
  return { shape: [bins], data: Float32Array.from({ length: bins }, (_, k) => Math.ceil((q * sampleRate) / (FMIN * 2 ** (k / binsPerOctave)))) };
}

/** Every read buffer of a CQT sub at the family's rate `sampleRate` (the CQT runs at 2·sampleRate), keyed as the checkpoint keys them. */
export function derivedBuffers(sub: SubDiscriminatorSpec, sampleRate: number): Map<string, Float32Tensor> {
  const out = new Map<string, Float32Tensor>();
  const input = sub.input;
  if (input.kind !== 'cqt') return out;
  const kernels = cqtKernels(2 * sampleRate, input.binsPerOctave, input.octaves);
  const at = (key: string) => `${sub.prefix}.${key}`;
  out.set(at(CQT_BUFFERS.kernelsReal), kernels.real);
  out.set(at(CQT_BUFFERS.kernelsImag), kernels.imag);
  out.set(at(CQT_BUFFERS.lowpass), cqtLowpassFilter());
  out.set(at(CQT_BUFFERS.lengths), kernels.lengths);
  out.set(at(CQT_BUFFERS.resample), resampleKernel2x());
  return out;
}

/** Rates BigVGAN v2 is published at (its configs: 22.05, 24 and 44.1 kHz), and a few common others. */
const CANDIDATE_RATES = [22050, 24000, 44100, 16000, 32000, 48000];

/**
 * The audio rate a CQT sub's stored `lenghts` buffer was made for (ceil(Q·2fs/f_k) depends on
 * fs), or null when no candidate rate reproduces it exactly: a BigVGAN v2 checkpoint says
 * which rate it was trained at.
 */
export function cqtRateOf(sub: SubDiscriminatorSpec, lengths: Float32Tensor): number | null {
  const input = sub.input;
  if (input.kind !== 'cqt') return null;
  for (const rate of CANDIDATE_RATES) {
    const derived = cqtLengths(2 * rate, input.binsPerOctave, input.octaves).data;
    if (derived.length === lengths.data.length && derived.every((v, i) => v === lengths.data[i])) return rate;
  }
  return null;
}
