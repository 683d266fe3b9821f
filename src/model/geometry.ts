/**
 * Input-length limits implied by a layer table. PyTorch's reflect padding needs the pad to be
 * shorter than the signal, and an STFT needs at least one frame; below these lengths upstream
 * code would crash, so the pipeline reports such files as too short instead.
 */
import type { SubDiscriminatorSpec, SubInput } from './types.js';

/** nnAudio's lowpass filter length (create_lowpass_filter's default), used by the CQT's octave loop. */
const CQT_LOWPASS_TAPS = 256;

/** Signal lengths of the CQT's octaves, top first, for T input samples (resampled to 2T). */
export function cqtOctaveLengths(samples: number, octaves: number, lowpassTaps = CQT_LOWPASS_TAPS): number[] {
  const pad = Math.floor((lowpassTaps - 1) / 2);
  const lengths = [2 * samples];
  for (let o = 1; o < octaves; o++) lengths.push(Math.floor((lengths[o - 1]! + 2 * pad - lowpassTaps) / 2) + 1);
  return lengths;
}

/** Frames of an STFT input on T samples. */
export function stftFrames(input: Extract<SubInput, { kind: 'stft' }>, samples: number): number {
  switch (input.framing) {
    case 'center':
      return Math.floor(samples / input.hop) + 1;
    case 'none':
      return Math.max(0, Math.floor((samples - input.nFft) / input.hop) + 1);
    case 'dac':
      return Math.ceil(samples / input.hop);
  }
}

function stftMinimum(input: Extract<SubInput, { kind: 'stft' }>): number {
  switch (input.framing) {
    case 'center':
      return input.nFft / 2 + 1;
    case 'none':
      return input.nFft;
    case 'dac':
      // The first reflect pad, (nFft − hop)/2 + r with r < hop, must stay below T.
      return Math.floor((input.nFft - input.hop) / 2) + input.hop;
  }
}

export function minimumSamples(sub: SubDiscriminatorSpec): number {
  const input = sub.input;
  switch (input.kind) {
    case 'waveform':
      return 1;
    case 'period':
      // Right pad p - T % p must stay below T.
      return input.alwaysPad ? input.period + 1 : input.period;
    case 'resolution': {
      const pad = Math.floor((input.nFft - input.hop) / 2);
      return Math.max(pad + 1, input.nFft - 2 * pad);
    }
    case 'stft':
      return stftMinimum(input);
    case 'cqt': {
      // Every octave's signal needs a sample (the lowpass convs are zero-padded).
      let samples = 1;
      while (cqtOctaveLengths(samples, input.octaves).some((n) => n < 1)) samples++;
      return samples;
    }
  }
}

/** The shortest window (in model samples) every sub-discriminator accepts. */
export function minimumWindow(subs: readonly SubDiscriminatorSpec[]): number {
  return Math.max(1, ...subs.map(minimumSamples));
}

function convOut(length: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.max(0, Math.floor((length + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1);
}

/**
 * Values in the feature maps of one sub-discriminator on one signal of `samples` samples: its
 * input (pooled waveform, period view or spectrogram) and every conv output. Activations
 * dominate a batch's device memory (weights are fixed), and they grow linearly with length.
 * Spatial sizes follow upstream's axis order, as the layer tables do. Bands are counted as
 * one band over all bins (the same values, split).
 */
export function featureValues(sub: SubDiscriminatorSpec, samples: number): number {
  const input = sub.input;
  let spatial: number[];
  let inputCopies = 1;
  let extra = 0;
  switch (input.kind) {
    case 'waveform': {
      let n = samples;
      for (let i = 0; i < input.pool; i++) n = Math.floor(n / 2) + 1;
      spatial = [n];
      break;
    }
    case 'period':
      spatial = [Math.ceil((samples + (input.alwaysPad ? 1 : 0)) / input.period), input.period];
      break;
    case 'resolution': {
      const pad = Math.floor((input.nFft - input.hop) / 2);
      spatial = [input.nFft / 2 + 1, convOut(samples + 2 * pad, input.nFft, input.hop, 0)];
      // The STFT's real and imaginary parts, then the magnitude.
      inputCopies = 3;
      break;
    }
    case 'stft':
      spatial = [stftFrames(input, samples), input.nFft / 2 + 1];
      // Real and imaginary parts (and the magnitude, or the 2-channel copy laid out for the convs).
      inputCopies = input.value === 'magnitude' ? 3 : 4;
      break;
    case 'cqt': {
      const hop = input.hop;
      spatial = [Math.floor((2 * samples) / hop) + 1, input.binsPerOctave * input.octaves];
      // Real and imaginary channels, their layout copy and the pre convs' output.
      inputCopies = 8;
      // The resampled signal and its octaves.
      extra = cqtOctaveLengths(samples, input.octaves).reduce((a, b) => a + b, 0);
      break;
    }
  }
  let total = extra + inputCopies * spatial.reduce((a, b) => a * b, 1);
  for (const layer of [...sub.convs, sub.post]) {
    spatial = spatial.map((n, i) => convOut(n, layer.kernel[i] ?? 1, layer.stride[i] ?? 1, layer.padding[i] ?? 0, layer.dilation?.[i] ?? 1));
    total += layer.out * spatial.reduce((a, b) => a * b, 1);
  }
  return total;
}
