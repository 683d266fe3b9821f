import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiscriminatorEngine, type WindowScores } from '../../src/engine/engine.js';
import { findEntry, HASH_FILE, MODEL_FILE, STAMP_FILE, storeEntry, WEIGHTS_FILE } from '../../src/engine/session-cache.js';
import { resolveModel, untrainedWeights } from '../../src/model/index.js';
import type { Float32Tensor, ResolvedModel } from '../../src/model/types.js';
import { runCli } from '../helpers/cli.js';
import { parseJsonl, removeDir, tempDir, tinyFamily, writeTinyCheckpoint } from '../helpers/e2e.js';

/** A tiny gpt-sovits whose weight reads are counted: a cache hit reads none. */
function countingModel(seed = 3): { model: ResolvedModel; reads: () => number } {
  const family = tinyFamily('gpt-sovits', 16);
  let reads = 0;
  const weights = new Map<string, Float32Tensor>();
  for (const [key, tensor] of untrainedWeights(family, seed)) {
    weights.set(key, {
      shape: tensor.shape,
      get data() {
        reads += 1;
        return tensor.data;
      },
    });
  }
  return { model: resolveModel(family, weights), reads: () => reads };
}

const WINDOW = 4000;
const ref = Float32Array.from({ length: WINDOW }, (_, i) => Math.sin(i * 0.05) * 0.4);
const syn = Float32Array.from({ length: WINDOW }, (_, i) => Math.sin(i * 0.051) * 0.4 + 0.01 * Math.cos(i * 0.7));

async function scoresOf(model: ResolvedModel, sessionCache?: { dir: string; weightsId: string }, threads = 1): Promise<WindowScores> {
  const engine = await DiscriminatorEngine.create(model, 'pair', { threads, ...(sessionCache ? { sessionCache } : {}) });
  try {
    return (await engine.run([ref], [syn]))[0]!;
  } finally {
    await engine.dispose();
  }
}

function entriesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

let dir: string;
let uncached: WindowScores;

beforeAll(async () => {
  uncached = await scoresOf(countingModel().model);
});
beforeEach(() => {
  dir = path.join(tempDir('sessions'), 'sessions');
});
afterEach(() => removeDir(path.dirname(dir)));

test('the suite never uses the real cache: TTS_CRITIC_CACHE is a temp folder', () => {
  expect(process.env.TTS_CRITIC_CACHE).toBeTruthy();
  expect(path.dirname(process.env.TTS_CRITIC_CACHE!)).toBe(tmpdir());
});

test('a miss builds, optimizes and stores the session; a hit loads it without building, with identical scores', async () => {
  const first = countingModel();
  const cache = { dir, weightsId: 'untrained:seed=3' };
  expect(await scoresOf(first.model, cache)).toEqual(uncached);
  expect(first.reads()).toBeGreaterThan(0);
  const [entry] = entriesIn(dir);
  expect(entriesIn(dir)).toHaveLength(1);
  expect(entry).toMatch(/^[0-9a-f]{64}$/);
  expect(entriesIn(path.join(dir, entry!))).toEqual([MODEL_FILE, HASH_FILE, STAMP_FILE, WEIGHTS_FILE].sort());
  // The hash file is in sha256sum's format, so a person can check an entry too.
  expect(spawnSync('sha256sum', ['--check', '--strict', HASH_FILE], { cwd: path.join(dir, entry!) }).status).toBe(0);

  const second = countingModel();
  expect(await scoresOf(second.model, cache)).toEqual(uncached);
  expect(second.reads()).toBe(0);
  expect(entriesIn(dir)).toEqual([entry]);
});

test.each([
  ['a flipped byte in the weights', (entry: string) => flipByte(path.join(entry, WEIGHTS_FILE))],
  ['a flipped byte in the graph', (entry: string) => flipByte(path.join(entry, MODEL_FILE))],
  ['a truncated graph', (entry: string) => truncateSync(path.join(entry, MODEL_FILE), 100)],
  ['empty weights', (entry: string) => truncateSync(path.join(entry, WEIGHTS_FILE), 0)],
  ['no hash file', (entry: string) => rmSync(path.join(entry, HASH_FILE))],
])('a damaged entry (%s) is never trusted: it is rebuilt and scores stay identical', async (_, damage) => {
  const cache = { dir, weightsId: 'untrained:seed=3' };
  await scoresOf(countingModel().model, cache);
  const [entry] = entriesIn(dir);
  damage(path.join(dir, entry!));

  const again = countingModel();
  expect(await scoresOf(again.model, cache)).toEqual(uncached);
  expect(again.reads()).toBeGreaterThan(0);
  // The rebuilt entry is whole again and is a hit next time.
  expect(entriesIn(dir)).toEqual([entry]);
  const third = countingModel();
  await scoresOf(third.model, cache);
  expect(third.reads()).toBe(0);
});

function flipByte(file: string): void {
  const bytes = readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
  writeFileSync(file, bytes);
}

test('other weights, threads or mode get entries of their own', async () => {
  await scoresOf(countingModel().model, { dir, weightsId: 'untrained:seed=3' });
  const otherWeights = countingModel();
  await scoresOf(otherWeights.model, { dir, weightsId: 'untrained:seed=4' });
  expect(otherWeights.reads()).toBeGreaterThan(0);
  const otherThreads = countingModel();
  await scoresOf(otherThreads.model, { dir, weightsId: 'untrained:seed=3' }, 2);
  expect(otherThreads.reads()).toBeGreaterThan(0);
  const synOnly = countingModel();
  const engine = await DiscriminatorEngine.create(synOnly.model, 'syn-only', { threads: 1, sessionCache: { dir, weightsId: 'untrained:seed=3' } });
  await engine.dispose();
  expect(synOnly.reads()).toBeGreaterThan(0);
  expect(entriesIn(dir)).toHaveLength(4);
});

test('a cache folder that cannot be written costs only the saving', async () => {
  // A file where the folder should be: mkdir fails (as a read-only folder would, also for root).
  mkdirSync(path.dirname(dir), { recursive: true });
  writeFileSync(dir, 'not a folder');
  expect(await scoresOf(countingModel().model, { dir, weightsId: 'untrained:seed=3' })).toEqual(uncached);
  expect(readFileSync(dir, 'utf8')).toBe('not a folder');
});

/** An entry writer with a stand-in graph and weights (the store does not read them). */
async function writeStandIn(modelPath: string): Promise<void> {
  writeFileSync(modelPath, 'graph');
  writeFileSync(path.join(path.dirname(modelPath), WEIGHTS_FILE), 'weights');
}

test('the store keeps the 8 most recently used entries and clears temp folders of dead writers', async () => {
  const write = writeStandIn;
  const stored: string[] = [];
  for (let i = 0; i < 10; i++) {
    const file = await storeEntry(dir, String(i).padStart(64, '0'), write);
    expect(file).not.toBeNull();
    // Distinct ages, oldest first (the file system's clock may be coarse).
    const entry = path.dirname(file!);
    utimesSync(entry, 1_000_000 + i, 1_000_000 + i);
    stored.push(path.basename(entry));
  }
  const deadWriter = path.join(dir, `.${'f'.repeat(64)}.123.abc.tmp`);
  mkdirSync(deadWriter);
  utimesSync(deadWriter, 1, 1);
  const liveWriter = path.join(dir, `.${'e'.repeat(64)}.124.abd.tmp`);
  mkdirSync(liveWriter);
  await storeEntry(dir, 'a'.repeat(64), write);
  const left = entriesIn(dir);
  expect(left).not.toContain(path.basename(deadWriter));
  expect(left).toContain(path.basename(liveWriter));
  const entries = left.filter((name) => !name.startsWith('.'));
  expect(entries).toHaveLength(8);
  expect(entries.sort()).toEqual([...stored.slice(3), 'a'.repeat(64)].sort());
  expect(statSync(path.join(dir, entries[0]!)).isDirectory()).toBe(true);
});

test('weights are hashed again only when their file changed since their hash last matched', async () => {
  const key = 'c'.repeat(64);
  await storeEntry(dir, key, writeStandIn);
  const entry = path.join(dir, key);
  const weights = path.join(entry, WEIGHTS_FILE);
  const check = async () => {
    const hit = await findEntry(dir, key);
    return hit ? [hit.weightsCheck, await hit.weightsVerified] : null;
  };
  // The store hashed the weights: the stamp it left stands for that.
  expect(await check()).toEqual(['stamp', true]);
  // The same bytes written again: a change all the same, hashed, found whole, stamped anew.
  writeFileSync(weights, 'weights');
  expect(await check()).toEqual(['hash', true]);
  expect(await check()).toEqual(['stamp', true]);
  // Times set back to what the stamp holds still leave the change time: hashed, and damaged.
  const before = statSync(weights);
  writeFileSync(weights, 'weighty');
  utimesSync(weights, before.atime, before.mtime);
  expect(await check()).toEqual(['hash', false]);
});

test('a stamp is only trusted for the hash it was made with, and only whole', async () => {
  const key = 'd'.repeat(64);
  await storeEntry(dir, key, writeStandIn);
  const entry = path.join(dir, key);
  const stamp = readFileSync(path.join(entry, STAMP_FILE), 'utf8');
  writeFileSync(path.join(entry, STAMP_FILE), stamp.slice(0, -3));
  expect((await findEntry(dir, key))?.weightsCheck).toBe('hash');
  // The hash file now expects other weights (say, edited by hand): the stamp no longer applies.
  const hashes = readFileSync(path.join(entry, HASH_FILE), 'utf8').replace(/^[0-9a-f]{64}(?=  weights)/m, '0'.repeat(64));
  writeFileSync(path.join(entry, HASH_FILE), hashes);
  const hit = await findEntry(dir, key);
  expect(hit?.weightsCheck).toBe('hash');
  expect(await hit?.weightsVerified).toBe(false);
});

test('a writer that fails leaves nothing behind and its error is reported', async () => {
  await expect(storeEntry(dir, 'b'.repeat(64), async () => {
    throw new Error('provider failed');
  })).rejects.toThrow('provider failed');
  expect(entriesIn(dir)).toEqual([]);
});

test('processes started together on an empty cache all score identically and leave one whole entry', async () => {
  const work = path.dirname(dir);
  const weights = await writeTinyCheckpoint(path.join(work, 'tiny.pth'));
  const cacheDir = path.join(work, 'cache');
  const args = ['score', 'fixtures/ref', 'fixtures/syn', '--weights', weights, '--cache-dir', cacheDir, '--format', 'jsonl', '--threads', '1', '-q'];
  const runs = await Promise.all([runCli(args), runCli(args), runCli(args)]);
  for (const run of runs) expect(run.code).toBe(0);
  const [first, ...rest] = runs.map((run) => parseJsonl(run.stdout));
  for (const other of rest) expect(other).toEqual(first);
  const sessions = entriesIn(path.join(cacheDir, 'sessions'));
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatch(/^[0-9a-f]{64}$/);
  expect(entriesIn(path.join(cacheDir, 'sessions', sessions[0]!))).toEqual([MODEL_FILE, HASH_FILE, STAMP_FILE, WEIGHTS_FILE].sort());
}, 120_000);
