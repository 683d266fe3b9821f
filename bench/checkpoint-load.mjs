// Checkpoint loading throughput. Run after `npm run build`: node bench/checkpoint-load.mjs
//
// Builds, in a temp dir, (1) the full-size GPT-SoVITS discriminator from the untrained init as
// an fp16 {"weight": sd} torch zip with weight-norm g/v keys (the layout and size of the
// official s2D488k.pth, ~94 MB) and (2) an fp32 training checkpoint {"model", "iteration",
// "optimizer" (AdamW: exp_avg, exp_avg_sq per parameter), "learning_rate"}, then times
// loadCheckpoint (median of RUNS, after one warm-up) and prints MB/s and seconds per 100 MB.
// Files are freshly written, so they are in the page cache: these are warm-cache figures. The
// loader hashes files of 32 MB and more on a worker thread while it parses.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCheckpoint } from '../dist/checkpoint/index.js';
import { adamWState, pyFloat, stateDict, torchZipPieces, weightNormKeys, writeCheckpointFile } from '../build/support/test/support/checkpoint-writers/writers.js';
import { getFamily, untrainedWeights } from '../dist/model/index.js';

const RUNS = Number(process.env.RUNS ?? 5);
const MB = 1e6;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(file, expectFamily) {
  const warm = await loadCheckpoint(file); // warm-up: JIT, page cache
  if (warm.info.family !== expectFamily) throw new Error(`detected ${warm.info.family}, expected ${expectFamily}`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await loadCheckpoint(file);
    runs.push((performance.now() - t0) / 1000);
  }
  return { info: warm.info, seconds: median(runs), runs };
}

/** sha256 of the file on this thread, streamed: the part of a load no parser can avoid. */
async function hashSeconds(file) {
  const t0 = performance.now();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk);
  hash.digest('hex');
  return (performance.now() - t0) / 1000;
}

function report(label, result, bytes, hash) {
  const mbps = bytes / MB / result.seconds;
  console.log(
    `${label}\n` +
      `  file        ${(bytes / MB).toFixed(1)} MB, ${result.info.format}, ${result.info.layout}, ${result.info.precision}, family ${result.info.family}\n` +
      `  load        median ${result.seconds.toFixed(3)} s of ${result.runs.length} (${result.runs.map((s) => s.toFixed(3)).join(', ')})\n` +
      `  throughput  ${mbps.toFixed(0)} MB/s = ${((100 * MB) / mbps / MB).toFixed(3)} s per 100 MB of file\n` +
      `  (for scale: streaming sha256 of the file on one thread takes ${hash.toFixed(3)} s)`,
  );
}

const dir = await mkdtemp(path.join(tmpdir(), 'tts-critic-bench-'));
try {
  const family = getFamily('gpt-sovits');
  const weights = untrainedWeights(family);
  const params = [...weights.values()].reduce((n, t) => n + t.data.length, 0);
  console.log(`gpt-sovits full size: ${(params / 1e6).toFixed(2)} M parameters; node ${process.version}; ${RUNS} timed runs each\n`);
  const wn = weightNormKeys(weights);

  const pretrained = path.join(dir, 's2D488k.pth');
  await writeCheckpointFile(pretrained, torchZipPieces(new Map([['weight', stateDict(wn, 'float16')]]), { folder: 's2D488k' }));
  const pretrainedBytes = (await stat(pretrained)).size;
  report('fp16 {"weight": sd}, weight norm (like s2D488k.pth)', await time(pretrained, 'gpt-sovits'), pretrainedBytes, await hashSeconds(pretrained));

  const training = path.join(dir, 'D_2333.pth');
  const checkpoint = new Map([
    ['model', stateDict(wn)],
    ['iteration', 2333],
    ['optimizer', adamWState(wn)],
    ['learning_rate', pyFloat(1e-4)],
  ]);
  await writeCheckpointFile(training, torchZipPieces(checkpoint, { folder: 'D_2333' }));
  const trainingBytes = (await stat(training)).size;
  console.log('');
  report('fp32 training checkpoint with AdamW state (optimizer skipped, but hashed)', await time(training, 'gpt-sovits'), trainingBytes, await hashSeconds(training));
} finally {
  await rm(dir, { recursive: true, force: true });
}
