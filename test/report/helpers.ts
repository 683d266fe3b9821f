/** Builders shared by the report and pipeline tests (not a test file itself). */
import { join } from 'node:path';
import type { ModelInfo, PairResult, SubScores } from '../../src/scores.js';
import { removeDir, tempDir as newTempDir } from '../helpers/temp.js';

export const SUBS = ['s', 'p2', 'r1024'] as const;
export const LAYERS: Readonly<Record<string, number>> = { s: 3, p2: 2, r1024: 2 };

export function makeModel(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    family: 'gpt-sovits',
    sampleRate: 32000,
    sampleRateSource: 'family default (gpt-sovits)',
    subs: [...SUBS],
    weights: 'untrained',
    seed: 0,
    checkpoint: null,
    sha256: null,
    precision: null,
    provider: 'cpu',
    adapter: null,
    segmentSamples: 96000,
    align: 'offset',
    maxOffsetSamples: 16000,
    ...overrides,
  };
}

/** An ok result whose numbers are derived from `base` so rows are easy to tell apart. */
export function okResult(syn: string, base: number, ref = syn.replace(/^out/, 'ref'), synOnly = false): PairResult {
  const subs: SubScores[] = SUBS.map((name, i) => ({
    name,
    fm: synOnly ? null : base * (i + 1),
    gen: base / 3 + i,
    real: synOnly ? null : 0.1 * (i + 1),
    fake: 0.25 + base / 7,
    fmLayers: synOnly ? [] : Array.from({ length: LAYERS[name]! }, (_, l) => base / (l + 2) + i),
  }));
  return {
    key: syn,
    ref: synOnly ? '' : ref,
    syn,
    status: 'ok',
    error: '',
    sampleRate: 32000,
    refSeconds: synOnly ? null : 2.5,
    synSeconds: 2.25 + base,
    refFormat: synOnly ? null : 'flac',
    synFormat: 'wav',
    refSampleRate: synOnly ? null : 44100,
    synSampleRate: 32000,
    windows: 3,
    totals: {
      fm: synOnly ? null : base,
      gen: base / 3 + 1,
      real: synOnly ? null : 0.6,
      fake: 0.75 + base / 7,
      disc: synOnly ? null : 0.6 + 0.75 + base / 7,
      melL1: synOnly ? null : base * 2,
    },
    subs,
  };
}

export function failedResult(syn: string, message: string, status: 'error' | 'unpaired' = 'error', ref = ''): PairResult {
  return {
    key: syn || ref,
    ref,
    syn,
    status,
    error: message,
    sampleRate: 32000,
    refSeconds: null,
    synSeconds: null,
    refFormat: null,
    synFormat: null,
    refSampleRate: null,
    synSampleRate: null,
    windows: 0,
    totals: null,
    subs: [],
  };
}

/** Paths that break naive CSV/JSON handling. */
export const TRICKY_PATHS = [
  'out/plain.wav',
  'out/comma, in name.wav',
  'out/"quoted" name.wav',
  'out/new\nline.wav',
  'out/carriage\rreturn.wav',
  'out/ünïcödé 日本語 😀.wav',
  ' out/leading and trailing space.wav ',
  '=1+2.wav',
  'out/tab\there.wav',
] as const;

/** A fresh temp folder, with paths inside it and its own removal. */
export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = newTempDir('report');
  return { dir, path: (name) => join(dir, name), cleanup: () => removeDir(dir) };
}
