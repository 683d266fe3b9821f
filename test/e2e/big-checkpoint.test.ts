/**
 * A BigVGAN v2 `bigvgan_discriminator_optimizer.pt` as published is ~1.5 GB, nearly all of it
 * optimizer state (the generator's AdamW state alone is ~900 MB). Loading it must read only the
 * discriminator's tensors: peak RSS below the discriminator's own size plus 300 MB (Node.js
 * itself, the parse, the hashing thread), measured in a fresh process (dist/, as the CLI runs
 * it) by its own VmHWM, as the benchmarks measure it (bench/peak-rss.cjs), which covers the
 * whole load and is never sampled.
 * A loader that read the optimizer state would need more than 1.3 GB on top of the weights.
 *
 * The file is written at test time (about 5-15 s on the 2-core box, streamed from one shared
 * pattern buffer, see test/helpers/big-checkpoint.ts) and deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { peakRssMb } from '../../bench/peak-rss.mjs';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/e2e.js';
import { writeBigVganV2Checkpoint, type BigCheckpoint } from '../helpers/big-checkpoint.js';

const MB = 1024 * 1024;
const BUDGET_MB = 300;
const PROBE = path.join(REPO_ROOT, 'bench', 'peak-rss.cjs');

let dir: string;
let file: string;
let written: BigCheckpoint;

beforeAll(async () => {
  dir = tempDir('big-checkpoint');
  file = path.join(dir, 'bigvgan_discriminator_optimizer.pt');
  written = await writeBigVganV2Checkpoint(file);
}, 180_000);

afterAll(() => removeDir(dir));

/**
 * Loads `file` in a fresh Node.js process from dist/ and reports what it loaded and its peak
 * RSS, written at exit by the benchmarks' preload (bench/peak-rss.cjs).
 */
async function loadInChild(checkpoint: string): Promise<{ family: string; tensors: number; peakMb: number }> {
  const script = `
    const { loadCheckpoint } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'checkpoint', 'index.js'))});
    const loaded = await loadCheckpoint(process.argv[1]);
    const bytes = [...loaded.model.weights.values()].reduce((n, t) => n + t.data.byteLength, 0);
    console.log(JSON.stringify({ family: loaded.info.family, tensors: bytes }));`;
  const rssFile = path.join(dir, 'load.rss');
  rmSync(rssFile, { force: true }); // the probe appends
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', PROBE, '--input-type=module', '-e', script, checkpoint], {
    maxBuffer: 1 << 20,
    env: { ...process.env, TTS_CRITIC_BENCH_RSS: rssFile },
  });
  const result = JSON.parse(stdout) as { family: string; tensors: number };
  return { ...result, peakMb: peakRssMb(readFileSync(rssFile, 'utf8')) };
}

test(`a 1.5 GB BigVGAN-v2-shaped file loads within its discriminator's size + ${BUDGET_MB} MB of peak RSS`, async () => {
  expect(statSync(file).size).toBe(written.bytes);
  expect(written.bytes).toBeGreaterThan(1.4e9);
  expect(written.discriminatorBytes).toBeLessThan(0.2 * written.bytes);
  const run = await loadInChild(file);
  expect(run.family).toBe('bigvgan-v2');
  // The weights in memory are the discriminator's (folded, so no larger than what is stored).
  expect(run.tensors).toBeLessThanOrEqual(written.discriminatorBytes);
  expect(run.tensors).toBeGreaterThan(0.9 * written.discriminatorBytes);
  if (process.env.TTS_CRITIC_E2E_VERBOSE) {
    console.info(`file ${(written.bytes / MB).toFixed(0)} MB, discriminator ${(written.discriminatorBytes / MB).toFixed(0)} MB, peak RSS ${run.peakMb.toFixed(0)} MB`);
  }
  expect(run.peakMb).toBeLessThan(written.discriminatorBytes / MB + BUDGET_MB);
}, 120_000);
