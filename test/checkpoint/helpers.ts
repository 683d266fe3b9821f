/** Shared fixtures for the checkpoint tests: golden paths, tiny families, byte assembly. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Float32Tensor } from '../../src/model/types.js';

export { tinyWeights } from '../helpers/tiny-model.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const goldenDir = path.resolve(repoRoot, '..', 'shared', 'golden');

export interface GoldenCase {
  readonly name: string;
  readonly file: string;
  readonly family: string;
}

/** The six golden cases that ship a checkpoint, with the family the loader must detect. */
export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'gptsovits-pretrained', file: 's2D.pth', family: 'gpt-sovits' },
  // expected.json says "gpt-sovits" (the upstream project); its 8 sub-discriminators are v2Pro's.
  { name: 'gptsovits-v2pro-train', file: 'D_2333.pth', family: 'gpt-sovits-v2pro' },
  { name: 'gptsovits-safetensors', file: 'D.safetensors', family: 'gpt-sovits' },
  { name: 'sovits5-pretrain', file: 'sovits5.pretrain.pth', family: 'sovits5' },
  { name: 'hifigan-do', file: 'do_00000005', family: 'hifigan' },
  { name: 'bigvgan-v1-do', file: 'bigvgan_discriminator_optimizer.pt', family: 'bigvgan-v1' },
];

export function goldenPath(c: GoldenCase): string {
  return path.join(goldenDir, c.name, c.file);
}

export function goldenBytes(c: GoldenCase): Uint8Array {
  return new Uint8Array(readFileSync(goldenPath(c)));
}

export function goldenExpected(c: GoldenCase): any {
  return JSON.parse(readFileSync(path.join(goldenDir, c.name, 'expected.json'), 'utf8'));
}

/** Largest |a - b| / (|b| + floor) over two tensors of equal shape. */
export function maxRelativeError(a: Float32Tensor, b: { shape: readonly number[]; data: Float32Array }, floor = 1e-3): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  let worst = 0;
  for (let i = 0; i < b.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!) / (Math.abs(b.data[i]!) + floor));
  return worst;
}

/** Bytes from numbers (one byte each) and strings (latin1), for hand-assembled pickles. */
export function bytes(...parts: (number | string | Uint8Array | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

export function u32le(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
}

/** BINUNICODE of an ASCII string. */
export function str(s: string): Uint8Array {
  return bytes('X', u32le(s.length), s);
}

/** Bitwise equality of two float arrays (jest's toEqual walks typed arrays slowly). */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  const view = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return view(a).equals(view(b));
}
