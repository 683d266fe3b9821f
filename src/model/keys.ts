/**
 * Where a sub-discriminator's tensors live in the canonical state dict, and what it outputs:
 * one place that expands key templates, band copies and chunk convs, used alike by the
 * loader (what to read, what is known), the untrained init, resolution and the graph builder.
 */
import { ALL_FEATURES, DEFAULT_KEYS, type ConvLayer, type FamilySpec, type FeatureSelection, type KeyTemplates, type SubDiscriminatorSpec } from './types.js';

/** Buffer keys of BigVGAN v2's CQT-D, relative to the sub's prefix (`lenghts` spelled as upstream). */
export const CQT_BUFFERS = {
  kernelsReal: 'cqt_transform.cqt_kernels_real',
  kernelsImag: 'cqt_transform.cqt_kernels_imag',
  lowpass: 'cqt_transform.lowpass_filter',
  lengths: 'cqt_transform.lenghts',
  resample: 'resample.kernel',
} as const;

export type ConvRole = 'pre' | 'conv' | 'post';

/** One conv of a sub, with its full key base (`<base>.weight`, `<base>.bias`). */
export interface ConvEntry {
  readonly base: string;
  readonly layer: ConvLayer;
  readonly role: ConvRole;
  /** Index in `convs` (role conv), chunk index (pre); 0 for post. */
  readonly index: number;
  /** Band index for band convs. */
  readonly band?: number;
}

export function keysOf(sub: SubDiscriminatorSpec): KeyTemplates {
  return sub.keys ?? DEFAULT_KEYS;
}

export function featuresOf(sub: SubDiscriminatorSpec): FeatureSelection {
  return sub.features ?? ALL_FEATURES;
}

function fill(template: string, values: Readonly<Record<string, number>>): string {
  return template.replace(/\{([a-z])\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** `<prefix>.<conv i>`, of band `band` where the sub has bands. */
export function convKey(sub: SubDiscriminatorSpec, i: number, band = 0): string {
  return `${sub.prefix}.${fill(keysOf(sub).conv, { i, b: band })}`;
}

export function postKey(sub: SubDiscriminatorSpec): string {
  return `${sub.prefix}.${keysOf(sub).post}`;
}

export function preKey(sub: SubDiscriminatorSpec, chunk: number): string {
  if (!sub.pre) throw new Error(`internal: ${sub.prefix} has no pre convs`);
  return `${sub.prefix}.${fill(sub.pre.key, { c: chunk })}`;
}

/** Bands the conv stack runs over (1 without a band split). */
export function bandCount(sub: SubDiscriminatorSpec): number {
  return sub.bands?.fractions.length ?? 1;
}

/** Every conv of a sub in checkpoint order: pre chunks, then the stack (band by band), then post. */
export function convEntries(sub: SubDiscriminatorSpec): ConvEntry[] {
  const entries: ConvEntry[] = [];
  if (sub.pre) for (let c = 0; c < sub.pre.count; c++) entries.push({ base: preKey(sub, c), layer: sub.pre.layer, role: 'pre', index: c });
  for (let b = 0; b < bandCount(sub); b++) {
    sub.convs.forEach((layer, i) => entries.push({ base: convKey(sub, i, b), layer, role: 'conv', index: i, ...(sub.bands ? { band: b } : {}) }));
  }
  entries.push({ base: postKey(sub), layer: sub.post, role: 'post', index: 0 });
  return entries;
}

/** Every conv key base of a family, in checkpoint order. */
export function familyConvBases(family: FamilySpec): string[] {
  return family.subs.flatMap((sub) => convEntries(sub).map((e) => e.base));
}

/** Full keys of a sub's buffers with the given use. */
export function bufferKeys(sub: SubDiscriminatorSpec, use?: 'read' | 'known'): string[] {
  return (sub.buffers ?? []).filter((b) => use === undefined || b.use === use).map((b) => `${sub.prefix}.${b.key}`);
}

/** Buffers the graph reads, for every sub of the family. */
export function familyReadBuffers(family: FamilySpec): string[] {
  return family.subs.flatMap((sub) => bufferKeys(sub, 'read'));
}

/** Buffers the checkpoint may hold and that are accepted unread. */
export function familyKnownBuffers(family: FamilySpec): string[] {
  return family.subs.flatMap((sub) => bufferKeys(sub, 'known'));
}

/** Feature maps of one sub (what its fm_layers list holds). */
export function featureCount(sub: SubDiscriminatorSpec): number {
  const f = featuresOf(sub);
  return bandCount(sub) * Math.max(0, sub.convs.length - f.skipFirst) + (f.post ? 1 : 0);
}
