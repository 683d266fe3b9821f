/**
 * Input-length limits implied by a layer table. PyTorch's reflect padding needs the pad to be
 * shorter than the signal, and an STFT needs at least one frame; below these lengths upstream
 * code would crash, so the pipeline reports such files as too short instead.
 */
import type { SubDiscriminatorSpec } from './types.js';

export function minimumSamples(sub: SubDiscriminatorSpec): number {
  const input = sub.input;
  switch (input.kind) {
    case 'waveform':
      return 1;
    case 'period':
      // Right pad p - T % p must stay below T.
      return input.period;
    case 'resolution': {
      const pad = Math.floor((input.nFft - input.hop) / 2);
      return Math.max(pad + 1, input.nFft - 2 * pad);
    }
  }
}

/** The shortest window (in model samples) every sub-discriminator accepts. */
export function minimumWindow(subs: readonly SubDiscriminatorSpec[]): number {
  return Math.max(1, ...subs.map(minimumSamples));
}

function convOut(length: number, kernel: number, stride: number, padding: number): number {
  return Math.max(0, Math.floor((length + 2 * padding - kernel) / stride) + 1);
}

/**
 * Values in the feature maps of one sub-discriminator on one signal of `samples` samples: its
 * input (pooled waveform, period view or spectrogram) and every conv output. Activations
 * dominate a batch's device memory (weights are fixed), and they grow linearly with length.
 */
export function featureValues(sub: SubDiscriminatorSpec, samples: number): number {
  const input = sub.input;
  let spatial: number[];
  let inputCopies = 1;
  switch (input.kind) {
    case 'waveform': {
      let n = samples;
      for (let i = 0; i < input.pool; i++) n = Math.floor(n / 2) + 1;
      spatial = [n];
      break;
    }
    case 'period':
      spatial = [Math.ceil(samples / input.period), input.period];
      break;
    case 'resolution': {
      const pad = Math.floor((input.nFft - input.hop) / 2);
      spatial = [input.nFft / 2 + 1, convOut(samples + 2 * pad, input.nFft, input.hop, 0)];
      // The STFT's real and imaginary parts, then the magnitude.
      inputCopies = 3;
      break;
    }
  }
  let total = inputCopies * spatial.reduce((a, b) => a * b, 1);
  for (const layer of [...sub.convs, sub.post]) {
    spatial = spatial.map((n, i) => convOut(n, layer.kernel[i] ?? 1, layer.stride[i] ?? 1, layer.padding[i] ?? 0));
    total += layer.out * spatial.reduce((a, b) => a * b, 1);
  }
  return total;
}
