/** Helpers that expand a family's compact description into its list of sub-discriminators. */
import type { ConvStack, Resolution } from '../layers.js';
import type { NormKind, SubDiscriminatorSpec } from '../types.js';

export function periodSubs(
  periods: readonly number[],
  prefix: (index: number) => string,
  stack: ConvStack,
  slope: number,
): SubDiscriminatorSpec[] {
  return periods.map((period, i) => ({
    name: `p${period}`,
    prefix: prefix(i),
    input: { kind: 'period', period },
    slope,
    ...stack,
    norm: 'weight',
  }));
}

export function resolutionSubs(
  resolutions: readonly Resolution[],
  prefix: (index: number) => string,
  stack: ConvStack,
  slope: number,
): SubDiscriminatorSpec[] {
  return resolutions.map((r, i) => ({
    name: `r${r.nFft}`,
    prefix: prefix(i),
    input: { kind: 'resolution', nFft: r.nFft, hop: r.hop, win: r.win },
    slope,
    ...stack,
    norm: 'weight',
  }));
}

export function scaleSub(
  name: string,
  prefix: string,
  stack: ConvStack,
  slope: number,
  pool = 0,
  norm: NormKind = 'weight',
): SubDiscriminatorSpec {
  return { name, prefix, input: { kind: 'waveform', pool }, slope, ...stack, norm };
}
