/**
 * Fixtures for the in-process CLI suite (test/cli): temp folders, tiny checkpoints,
 * a corpus of short pairs whose distortion grows from pair to pair (so `fm` and `mel_l1` rank
 * the pairs in a known order), and parsers for the three report formats that do not use the
 * project's own reader.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runMain, type CliOptions, type CliRun } from './cli.js';
import { removeDir, tempDir } from './temp.js';
import { writeTinyCheckpoint } from './tiny-model.js';
import { mulberry32, writeWav } from './wav-corpus.js';
import type { MetricStats } from '../../src/report/stats.js';

export { runMain, type CliRun };
export { removeDir, tempDir } from './temp.js';
export { writeTinyCheckpoint } from './tiny-model.js';

// ---- audio -------------------------------------------------------------------------------------

export const RATE = 16000;

// Looked up once: a global lookup of `Math` inside a test realm costs 40x the math (see src/audio/mel.ts).
const { PI, max, min, round, sin } = Math;

/** A speech-ish reference: a few harmonics with a slow envelope, different per seed. */
export function referenceSignal(frames: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const f0 = 110 + 90 * rnd();
  const phases = [rnd(), rnd(), rnd(), rnd()].map((p) => 2 * PI * p);
  const out = new Float64Array(frames);
  for (let i = 0; i < frames; i++) {
    const t = i / RATE;
    const envelope = 0.6 + 0.4 * sin(2 * PI * 3 * t + phases[0]!);
    let v = 0;
    for (let h = 1; h <= 4; h++) v += sin(2 * PI * f0 * h * t + phases[h - 1]!) / h;
    out[i] = 0.3 * envelope * v;
  }
  return out;
}

/** `signal` plus white noise of amplitude `level` (seeded). */
export function distort(signal: Float64Array, level: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  return signal.map((v) => v + level * (2 * rnd() - 1));
}

export function wavBytes(signal: Float64Array): Buffer {
  const samples = Int32Array.from(signal, (v) => max(-32768, min(32767, round(v * 32767))));
  return writeWav({ format: 'pcm16', sampleRate: RATE, samples });
}

export async function writeSignal(file: string, signal: Float64Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, wavBytes(signal));
}

export interface CorpusPair {
  /** Relative path without extension, e.g. `spk1/u03`. */
  readonly key: string;
  /** Paths relative to the corpus root, as the CLI prints them when run there (`ref/spk1/u03.wav`). */
  readonly ref: string;
  readonly syn: string;
  /** Noise amplitude added to the reference to make the synthesized file. */
  readonly level: number;
}

export interface Corpus {
  readonly root: string;
  readonly pairs: readonly CorpusPair[];
}

export interface CorpusOptions {
  count?: number;
  seconds?: number;
  levels?: (i: number) => number;
  synFolder?: string;
}

/**
 * `count` pairs under `root/ref` and `root/syn` in two speaker folders (u00-u05 in spk1, the
 * rest in spk2; pair i is the same audio whatever `count`), `seconds` long, where
 * pair i's synthesized file is its reference plus noise of amplitude `levels(i)` (default
 * 0.01·(i+1), so distortion and thus `fm`/`mel_l1` grow with i).
 */
export async function writeCorpus(root: string, options: CorpusOptions = {}): Promise<Corpus> {
  const count = options.count ?? 12;
  const frames = Math.round((options.seconds ?? 0.3) * RATE);
  const levels = options.levels ?? ((i: number) => 0.01 * (i + 1));
  const synFolder = options.synFolder ?? 'syn';
  const pairs: CorpusPair[] = [];
  for (let i = 0; i < count; i++) {
    const key = `spk${i < 6 ? 1 : 2}/u${String(i).padStart(2, '0')}`;
    const reference = referenceSignal(frames, 1000 + i);
    const pair = { key, ref: `ref/${key}.wav`, syn: `${synFolder}/${key}.wav`, level: levels(i) };
    await writeSignal(path.join(root, pair.ref), reference);
    await writeSignal(path.join(root, pair.syn), distort(reference, pair.level, 2000 + i));
    pairs.push(pair);
  }
  return { root, pairs };
}

/**
 * The folder most pipeline tests run in: a fresh temp folder `root` with a corpus (`writeCorpus`
 * with `options`) and the tiny gpt-sovits checkpoint `D.pth` (seed 1); with `otherWeights`, also
 * `D-other.pth`, the same family with other weights (seed 2). Remove it with `removeDir(root)`.
 */
export async function pipelineFolder(label: string, options: CorpusOptions & { otherWeights?: boolean } = {}): Promise<Corpus> {
  const root = tempDir(label);
  try {
    const corpus = await writeCorpus(root, options);
    await writeTinyCheckpoint(path.join(root, 'D.pth'), { seed: 1 });
    if (options.otherWeights) await writeTinyCheckpoint(path.join(root, 'D-other.pth'), { seed: 2 });
    return corpus;
  } catch (error) {
    removeDir(root);
    throw error;
  }
}

// ---- reports -----------------------------------------------------------------------------------

export type Cell = string | number | null;
export type Rec = Record<string, Cell>;

/** JSONL text to records; throws on a line that is not a JSON object. */
export function parseJsonlText(text: string): Rec[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Rec);
}

export interface JsonDoc {
  readonly tool: string;
  readonly version: string;
  readonly model: Record<string, unknown>;
  readonly files: Rec[];
  readonly summary: Summary;
}

/** A metric's statistics in the JSON summary: the report's own type. */
export type Stats = MetricStats;

export interface Summary {
  readonly files: number;
  readonly ok: number;
  readonly error: number;
  readonly unpaired: number;
  readonly metrics: Record<string, Stats>;
  readonly worst: { metric: string | null; files: { ref: string; syn: string; value: number }[] };
  readonly errors: { ref: string; syn: string; status: string; error: string }[];
  readonly interrupted: boolean;
}

/** CSV text to records: empty cells become null, numeric-looking cells of numeric columns numbers. */
export function parseCsvText(text: string): Rec[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const textColumns = new Set(['ref', 'syn', 'status', 'error', 'warning', 'family', 'weights']);
  return rows.map((row) => {
    const out: Rec = {};
    for (const [column, value] of Object.entries(row)) {
      out[column] = textColumns.has(column) ? value : value === '' ? null : Number(value);
    }
    return out;
  });
}

/** The CSV header's column names. */
export function csvColumns(text: string): string[] {
  return text.split('\n', 1)[0]!.split(',');
}

/** Records by syn path (or ref path for rows without syn), as tts-critic keys them. */
export function byKey(records: readonly Rec[]): Map<string, Rec> {
  const map = new Map<string, Rec>();
  for (const r of records) {
    const key = (r.syn as string) || (r.ref as string);
    if (map.has(key)) throw new Error(`two records for ${key}`);
    map.set(key, r);
  }
  return map;
}

/** The main and per-sub metric columns of a gpt-sovits record. */
export const GPT_SOVITS_SUBS = ['s', 'p2', 'p3', 'p5', 'p7', 'p11'] as const;
export const METRIC_COLUMNS = [
  'fm',
  'gen',
  'real',
  'fake',
  'disc',
  'mel_l1',
  ...GPT_SOVITS_SUBS.flatMap((s) => [`fm_${s}`, `gen_${s}`, `real_${s}`, `fake_${s}`]),
] as const;

/** Asserts that two sets of records hold the same pairs with the same values (exactly). */
export function expectSameRecords(actual: readonly Rec[], expected: readonly Rec[]): void {
  const a = byKey(actual);
  const e = byKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [key, record] of e) {
    const other = a.get(key)!;
    for (const column of ['ref', 'syn', 'status', 'error', 'windows', 'family', 'weights', ...METRIC_COLUMNS]) {
      if (other[column] !== record[column]) throw new Error(`${key}: ${column} is ${other[column]}, expected ${record[column]}`);
    }
  }
}

/** The CLI in-process (`runMain`) with the corpus root as the working folder. */
export function cli(root: string, args: readonly string[], options: Omit<CliOptions, 'cwd'> = {}): Promise<CliRun> {
  return runMain(args, { ...options, cwd: root });
}

/** `score ref syn -w D.pth -q --format jsonl` in `root`, which must exit 0, with its records. */
export async function scoreJsonl(root: string): Promise<CliRun & { records: Rec[] }> {
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--format', 'jsonl']);
  expect(run.code).toBe(0);
  return { ...run, records: parseJsonlText(run.stdout) };
}

/**
 * Lines of stderr that the CLI wrote as `tts-critic: ...` messages, without the plain progress
 * lines a run slower than 10 s would add (`tts-critic: 3/12 files (25%), ...`).
 */
export function messages(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('tts-critic: ') && !/^tts-critic: \d+\/\d+ files \(/.test(line));
}

// ---- statistics, computed independently of src/report/stats.ts ---------------------------------

export function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** numpy's default percentile (linear interpolation between closest ranks). */
export function percentileOf(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** A short round number strictly between a and b (a < b), for gate thresholds. */
export function between(a: number, b: number): number {
  if (!(a < b)) throw new Error(`between(${a}, ${b}): no gap`);
  for (let digits = 2; digits <= 15; digits++) {
    const t = Number(((a + b) / 2).toPrecision(digits));
    if (a < t && t < b) return t;
  }
  return (a + b) / 2;
}

/** The numbers of `column` in `records` (status ok), in record order. */
export function column(records: readonly Rec[], name: string): number[] {
  return records.filter((r) => r.status === 'ok').map((r) => r[name] as number);
}

/** Relative closeness for values printed with six significant digits. */
export function expectPrinted(printed: string, value: number): void {
  const parsed = Number(printed);
  expect(Number.isFinite(parsed)).toBe(true);
  expect(Math.abs(parsed - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-5 + 1e-12);
}
