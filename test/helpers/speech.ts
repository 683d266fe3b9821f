/**
 * Speech-like test signals for the timing tests (alignment, DTW), made by code: a glottal pulse
 * train with a drifting pitch through three formant resonators, cut into syllables of irregular
 * length with varying vowels and pauses, like read speech and unlike a metronome (the demo
 * fixtures repeat one syllable shape at a fixed rate, which is the hard case for an envelope).
 * `phaseScrambled` stands in for a vocoder's output: the same short-time magnitude spectrum with
 * random phase, so its envelope follows the input while its waveform does not.
 */
import FFT from 'fft.js';
import { mulberry32 } from './wav-corpus.js';

const VOWELS = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
] as const;

export function speechLike(seconds: number, rate: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  const f0 = 100 + 80 * random();
  let phase = 0;
  let t = 0;
  while (t < n) {
    const length = Math.round((0.1 + 0.25 * random()) * rate);
    const pause = random() < 0.3 ? Math.round((0.05 + 0.2 * random()) * rate) : 0;
    const vowel = VOWELS[Math.floor(random() * VOWELS.length)]!;
    const loudness = 0.4 + 0.6 * random();
    const state = vowel.map((f, k) => {
      const r = Math.exp((-Math.PI * (60 + 40 * k)) / rate);
      return { a1: 2 * r * Math.cos((2 * Math.PI * f) / rate), a2: -r * r, gain: 1 - r, y1: 0, y2: 0 };
    });
    for (let i = 0; i < length && t < n; i++, t++) {
      const pos = i / length;
      const pitch = f0 * (1 + 0.2 * Math.sin((2 * Math.PI * t) / rate / 1.7));
      phase += pitch / rate;
      const pulse = phase >= 1 ? 1 : 0;
      if (phase >= 1) phase -= 1;
      const envelope = loudness * Math.sin(Math.PI * pos) ** 0.6;
      let v = pos < 0.1 ? 0.15 * (random() - 0.5) : 0;
      for (const s of state) {
        const y = s.gain * pulse * envelope + s.a1 * s.y1 + s.a2 * s.y2;
        s.y2 = s.y1;
        s.y1 = y;
        v += y;
      }
      out[t] = v + 0.001 * (random() - 0.5);
    }
    for (let i = 0; i < pause && t < n; i++, t++) out[t] = 0.001 * (random() - 0.5);
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < n; i++) out[i] = (0.7 * out[i]!) / peak;
  return out;
}

/** Short-time Fourier resynthesis with random phase (Hann window of `size`, hop size/4). */
export function phaseScrambled(x: Float32Array, seed: number, size = 512): Float32Array {
  const random = mulberry32(seed);
  const hop = size / 4;
  const fft = new FFT(size);
  const window = Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  const sum = new Float64Array(x.length);
  const weight = new Float64Array(x.length);
  const frame = new Float64Array(size);
  const spectrum = fft.createComplexArray() as number[];
  const back = fft.createComplexArray() as number[];
  for (let start = -size + hop; start < x.length; start += hop) {
    for (let i = 0; i < size; i++) frame[i] = (x[start + i] ?? 0) * window[i]!;
    fft.realTransform(spectrum, frame);
    for (let k = 1; k < size / 2; k++) {
      const magnitude = Math.hypot(spectrum[2 * k]!, spectrum[2 * k + 1]!);
      const angle = 2 * Math.PI * random();
      spectrum[2 * k] = magnitude * Math.cos(angle);
      spectrum[2 * k + 1] = magnitude * Math.sin(angle);
      spectrum[2 * (size - k)] = spectrum[2 * k]!;
      spectrum[2 * (size - k) + 1] = -spectrum[2 * k + 1]!;
    }
    spectrum[1] = 0;
    spectrum[size + 1] = 0;
    fft.inverseTransform(back, spectrum);
    for (let i = 0; i < size; i++) {
      const j = start + i;
      if (j < 0 || j >= x.length) continue;
      sum[j]! += back[2 * i]! * window[i]!;
      weight[j]! += window[i]! * window[i]!;
    }
  }
  return Float32Array.from(sum, (v, j) => (weight[j]! > 1e-9 ? v / weight[j]! : 0));
}

/** `d` zero samples, then `x`. */
export function delayed(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length + d);
  out.set(x, d);
  return out;
}

/** Samples as 16-bit PCM values for writeWav. */
export function pcm16(x: Float32Array): Int32Array {
  return Int32Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
}
