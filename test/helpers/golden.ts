/** Access to ../shared/golden (read in place, never copied into the project) and tolerances. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_ROOT = path.resolve(REPO_ROOT, '..', 'shared', 'golden');

export interface GoldenSub {
  readonly name: string;
  readonly fm: number;
  readonly fm_layers: readonly number[];
  /** Modern cases: per-layer feature map shapes (no batch axis), the logits' shape, the logits' means. */
  readonly fmap_shapes?: readonly (readonly number[])[];
  readonly logits_shape?: readonly number[];
  readonly d_ref_mean?: number;
  readonly d_syn_mean?: number;
  readonly gen: number;
  readonly real: number;
  readonly fake: number;
}

export interface GoldenCase {
  readonly name: string;
  readonly dir: string;
  readonly ref: string;
  readonly syn: string;
  readonly checkpoint: string | null;
  readonly expected: {
    readonly family: string;
    readonly sample_rate: number;
    readonly samples: number;
    readonly fm: number;
    readonly gen: number;
    readonly disc: number;
    readonly subs: readonly GoldenSub[];
    readonly mel_l1_gptsovits?: number;
    readonly checkpoint?: string;
    readonly segmented?: {
      readonly segment: number;
      readonly starts: readonly number[];
      readonly fm: readonly number[];
      readonly gen: readonly number[];
      readonly disc: readonly number[];
      readonly mean: { readonly fm: number; readonly gen: number; readonly disc: number };
    };
  };
}

export function goldenCase(name: string): GoldenCase {
  const dir = path.join(GOLDEN_ROOT, name);
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as GoldenCase['expected'];
  return {
    name,
    dir,
    ref: path.join(dir, 'ref.wav'),
    syn: path.join(dir, 'syn.wav'),
    checkpoint: expected.checkpoint ? path.join(dir, expected.checkpoint) : null,
    expected,
  };
}

/**
 * The README's suggested tolerances: float32 engines differ in summation order. A layer entry
 * is a mean of |f_ref - f_syn| and can be tiny when both feature maps are nearly equal (HiFi-GAN
 * s2's last layer: 3e-6 from activations near 0.05, where one float32 ulp is 4e-9), so it also
 * passes within `layerAbsolute` of the golden value: float32 rounding noise, not a difference.
 */
export const TOLERANCE = { total: 1e-4, layer: 1e-3, layerAbsolute: 1e-8 } as const;

export function expectRelativeClose(actual: number | null | undefined, expected: number, tolerance: number, what = '', absolute = 0): void {
  if (actual === null || actual === undefined || !Number.isFinite(actual)) {
    throw new Error(`${what}: expected ${expected}, got ${actual}`);
  }
  if (Math.abs(actual - expected) <= absolute) return;
  const scale = Math.max(Math.abs(expected), 1e-12);
  const relative = Math.abs(actual - expected) / scale;
  if (relative > tolerance) {
    throw new Error(`${what}: ${actual} differs from golden ${expected} by ${relative.toExponential(2)} (tolerance ${tolerance})`);
  }
}

/** Shape of the library's per-pair result that golden checks need (kept structural). */
interface ResultLike {
  readonly status: string;
  readonly totals: { readonly fm: number | null; readonly gen: number; readonly disc: number | null } | null;
  readonly subs: ReadonlyArray<{ readonly name: string; readonly fm: number | null; readonly gen: number; readonly real: number | null; readonly fake: number; readonly fmLayers: readonly number[] }>;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Where a sub's last feature map is its logits (RVC, StyleTTS 2, BigVGAN's MPD), its fm_layers
 * entry is a mean of |D(ref) - D(syn)| over logits of magnitude |d_*_mean|: when D barely tells
 * the two apart (RVC v2's S: 9e-6 from logits near 0.6, whose float32 ulp is 6e-8) a few ulps of
 * the logits are all that separates engines. Four ulps of the logits' mean magnitude; 0 where
 * the golden does not say what the logits are.
 */
function logitLayerFloor(sub: GoldenSub): number {
  const last = sub.fmap_shapes?.[sub.fmap_shapes.length - 1];
  if (!last || !sub.logits_shape || product(last) !== product(sub.logits_shape)) return 0;
  const scale = Math.max(Math.abs(sub.d_ref_mean ?? 0), Math.abs(sub.d_syn_mean ?? 0));
  return 4 * scale * 2 ** -23;
}

/** Whole-file totals, and every sub's scores and layer distances, against a golden case. */
export function expectGoldenResult(result: ResultLike, golden: GoldenCase): void {
  const e = golden.expected;
  if (result.status !== 'ok' || !result.totals) throw new Error(`${golden.name}: status ${result.status}`);
  expectRelativeClose(result.totals.fm, e.fm, TOLERANCE.total, `${golden.name} fm`);
  expectRelativeClose(result.totals.gen, e.gen, TOLERANCE.total, `${golden.name} gen`);
  expectRelativeClose(result.totals.disc, e.disc, TOLERANCE.total, `${golden.name} disc`);
  const names = result.subs.map((s) => s.name).join(',');
  if (names !== e.subs.map((s) => s.name).join(',')) throw new Error(`${golden.name}: subs ${names}`);
  e.subs.forEach((sub, i) => {
    const got = result.subs[i]!;
    const what = `${golden.name} ${sub.name}`;
    expectRelativeClose(got.fm, sub.fm, TOLERANCE.total, `${what} fm`);
    expectRelativeClose(got.gen, sub.gen, TOLERANCE.total, `${what} gen`);
    expectRelativeClose(got.real, sub.real, TOLERANCE.total, `${what} real`);
    expectRelativeClose(got.fake, sub.fake, TOLERANCE.total, `${what} fake`);
    if (got.fmLayers.length !== sub.fm_layers.length) throw new Error(`${what}: ${got.fmLayers.length} layers`);
    const logitFloor = logitLayerFloor(sub);
    sub.fm_layers.forEach((v, l) => {
      const floor = l === sub.fm_layers.length - 1 ? Math.max(TOLERANCE.layerAbsolute, logitFloor) : TOLERANCE.layerAbsolute;
      expectRelativeClose(got.fmLayers[l], v, TOLERANCE.layer, `${what} fm_layers[${l}]`, floor);
    });
  });
}

export const CHECKPOINT_CASES = [
  'gptsovits-pretrained',
  'gptsovits-v2pro-train',
  'gptsovits-safetensors',
  'sovits5-pretrain',
  'hifigan-do',
  'bigvgan-v1-do',
] as const;
