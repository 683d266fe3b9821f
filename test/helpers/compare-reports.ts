/**
 * Generated reports for `compare` and `--regression-test`: the CLI's own JSONL rows (every
 * contract column, family and weights), with metric values made by a seeded generator.
 *
 * The done-when contrast: A is a system; B = A × 1.03 with ±1 % multiplicative noise per file
 * (a small drift over every file, no file beyond 5 %); C = A + zero-mean Gaussian noise (no
 * drift, but single files move well beyond 5 %).
 */
import { writeFileSync } from 'node:fs';
import { columnsFor, jsonlLine, type Row } from '../../src/report/index.js';
import { mulberry32 } from '../../src/quality/stats/bootstrap.js';

export const SUBS = ['s', 'p2'];
export const COLUMNS = columnsFor(SUBS);

export interface FileValues {
  readonly fm: number;
  readonly mel_l1: number;
  readonly mel_dtw: number;
}

/** A seeded uniform [0, 1) and standard normal source. */
export function randomSource(seed: number): { uniform: () => number; normal: () => number } {
  const next = mulberry32(seed);
  const uniform = () => next() / 4294967296;
  return {
    uniform,
    normal: () => {
      const u = 1 - uniform();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

export function rowFor(key: string, values: FileValues | null, weights = 'sha256:abc', family = 'gpt-sovits'): Row {
  return {
    ref: `ref/${key}.wav`,
    syn: `syn/${key}.wav`,
    status: values ? 'ok' : 'error',
    error: values ? '' : 'decode failed',
    fm: values?.fm ?? null,
    mel_l1: values?.mel_l1 ?? null,
    mel_dtw: values?.mel_dtw ?? null,
    gen: values ? 1 : null,
    family,
    weights,
  };
}

export function jsonl(rows: readonly Row[]): string {
  return rows.map((row) => jsonlLine(row, COLUMNS, SUBS)).join('');
}

export interface Systems {
  readonly A: FileValues[];
  readonly B: FileValues[];
  readonly C: FileValues[];
}

/** The contrast of issue 24 on `n` files. */
export function contrastSystems(n = 200, seed = 24): Systems {
  const r = randomSource(seed);
  const A = Array.from({ length: n }, () => ({ fm: 1.5 + 2 * r.uniform(), mel_l1: 0.2 + 0.4 * r.uniform(), mel_dtw: 0.3 + 0.4 * r.uniform() }));
  const scale = (v: number) => v * 1.03 * (1 + 0.01 * (2 * r.uniform() - 1));
  const B = A.map((a) => ({ fm: scale(a.fm), mel_l1: scale(a.mel_l1), mel_dtw: scale(a.mel_dtw) }));
  const C = A.map((a) => ({ fm: a.fm + 0.12 * r.normal(), mel_l1: a.mel_l1 + 0.025 * r.normal(), mel_dtw: a.mel_dtw + 0.025 * r.normal() }));
  return { A, B, C };
}

export function keyOf(i: number): string {
  return `u${String(i).padStart(4, '0')}`;
}

/** Writes one JSONL report per system into `dir`: A.jsonl, B.jsonl, C.jsonl. */
export function writeContrast(dir: string, n = 200): Systems {
  const systems = contrastSystems(n);
  for (const [name, values] of Object.entries(systems)) {
    writeFileSync(`${dir}/${name}.jsonl`, jsonl((values as FileValues[]).map((v, i) => rowFor(keyOf(i), v))));
  }
  return systems;
}
