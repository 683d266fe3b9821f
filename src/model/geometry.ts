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
