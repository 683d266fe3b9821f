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

/** The README's suggested tolerances: float32 engines differ in summation order. */
export const TOLERANCE = { total: 1e-4, layer: 1e-3 } as const;

export function expectRelativeClose(actual: number | null | undefined, expected: number, tolerance: number, what = ''): void {
  if (actual === null || actual === undefined || !Number.isFinite(actual)) {
    throw new Error(`${what}: expected ${expected}, got ${actual}`);
  }
  const scale = Math.max(Math.abs(expected), 1e-12);
  const relative = Math.abs(actual - expected) / scale;
  if (relative > tolerance) {
    throw new Error(`${what}: ${actual} differs from golden ${expected} by ${relative.toExponential(2)} (tolerance ${tolerance})`);
  }
}
