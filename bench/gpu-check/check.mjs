// The one-shot GPU check (issue 12): on the generated benchmark corpus, in one run,
//   1. CPU vs WebGPU: the largest relative difference over every value tts-critic reports
//      (fm, gen, real, fake, disc, per sub-discriminator, per layer), at every batch size;
//   2. WebGPU throughput in audio-seconds per second at several batch sizes (the model and
//      session set-up timed apart, after a warm-up pass), and the CPU's for comparison;
//   3. PyTorch on CUDA with the same architecture, weights and windows, batched alike
//      (bench/pytorch_reference.py), and the WebGPU / PyTorch ratio.
// Runs from the repository after `npm run build`, or from the bundle bench/gpu-check/bundle.sh
// makes (bench/gpu-check/run.sh starts it there).
//
// Environment: FAMILIES=gpt-sovits  PAIRS=16  SECONDS=3-5 (durations, spread evenly)
//   SEGMENT=2  BATCHES=1,4,16,auto (auto = sized by the memory budget)  CPU_THREADS=(all)
//   DEVICE=webgpu, or webgpu-software for a dry run on lavapipe  PYTHON=  TORCH_DEVICE=cuda
//   (cpu only to try the script without a GPU)  TORCH=0 skips PyTorch.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wav from 'node-wav';
import { createScorer, findFamily } from '../../dist/index.js';
import { resolveModel, untrainedWeights } from '../../dist/model/index.js';
import { planWindows } from '../../dist/pipeline/windows.js';
import { speechLike } from '../speech.mjs';
import { writeTorchSpec } from '../torch-spec.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FAMILIES = (process.env.FAMILIES ?? 'gpt-sovits').split(',').filter(Boolean);
const PAIRS = Number(process.env.PAIRS ?? 16);
const [MIN_SECONDS, MAX_SECONDS] = (process.env.SECONDS ?? '3-5').split('-').map(Number);
const SEGMENT = Number(process.env.SEGMENT ?? 2);
const BATCHES = (process.env.BATCHES ?? '1,4,16,auto').split(',').filter(Boolean);
const CPU_THREADS = Number(process.env.CPU_THREADS ?? availableParallelism());
const DEVICE = process.env.DEVICE ?? 'webgpu';
const TORCH_DEVICE = process.env.TORCH_DEVICE ?? 'cuda';
const RATE = 32000;

function writeCorpus(dir) {
  const pairs = [];
  for (const side of ['ref', 'syn']) mkdirSync(path.join(dir, side), { recursive: true });
  for (let i = 0; i < PAIRS; i++) {
    const seconds = MIN_SECONDS + ((MAX_SECONDS ?? MIN_SECONDS) - MIN_SECONDS) * (PAIRS > 1 ? i / (PAIRS - 1) : 0);
    const name = `utt${String(i).padStart(4, '0')}.wav`;
    const ref = path.join(dir, 'ref', name);
    const syn = path.join(dir, 'syn', name);
    writeFileSync(ref, wav.encode([speechLike(seconds, RATE, i + 1, 0)], { sampleRate: RATE, bitDepth: 16 }));
    writeFileSync(syn, wav.encode([speechLike(seconds, RATE, i + 1, 1)], { sampleRate: RATE, bitDepth: 16 }));
    pairs.push({ key: name, ref, syn, samples: Math.round(seconds * RATE) });
  }
  return pairs;
}

/** Every number a result reports, flattened in a fixed order. */
function values(result) {
  if (result.status !== 'ok') throw new Error(`${result.syn}: ${result.status} ${result.error}`);
  const t = result.totals;
  const out = [t.fm, t.gen, t.real, t.fake, t.disc];
  for (const sub of result.subs) out.push(sub.fm, sub.gen, sub.real, sub.fake, ...sub.fmLayers);
  return out;
}

function maxRelativeDifference(results, reference) {
  let max = 0;
  let count = 0;
  for (const [key, want] of reference) {
    const got = values(results.get(key));
    want.forEach((w, i) => {
      max = Math.max(max, Math.abs(got[i] - w) / Math.max(Math.abs(w), 1e-30));
      count += 1;
    });
  }
  return { max, count };
}

/**
 * Scores the corpus: set-up time, then a warm-up pass over the whole corpus (shader and
 * pipeline compilation, every batch shape), then the timed pass.
 */
async function run(family, device, batch, pairs) {
  const notices = [];
  const start = performance.now();
  const scorer = await createScorer({
    family,
    device,
    segment: SEGMENT,
    ...(device === 'cpu' ? { threads: CPU_THREADS } : {}),
    ...(batch === 'auto' ? {} : { batchSize: Number(batch) }),
    onNotice: (message) => notices.push(message),
  });
  const setup = (performance.now() - start) / 1000;
  try {
    for await (const _ of scorer.scorePairs(pairs)) void _;
    const results = new Map();
    const scoring = performance.now();
    for await (const result of scorer.scorePairs(pairs)) results.set(result.key, result);
    return { setup, seconds: (performance.now() - scoring) / 1000, results, model: scorer.model, notices };
  } finally {
    await scorer.dispose();
  }
}

function findTorch() {
  if (process.env.TORCH === '0') return { skip: 'TORCH=0' };
  const probe = `import torch; print(torch.__version__); print(int(${TORCH_DEVICE === 'cuda' ? 'torch.cuda.is_available()' : '1'})); print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')`;
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const result = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
    if (result.status !== 0) continue;
    const [version, usable, gpu] = result.stdout.trim().split('\n');
    if (usable !== '1') return { skip: `torch ${version} (${python}) has no usable CUDA device` };
    return { python, version, gpu: gpu || null };
  }
  return { skip: 'no python3 here imports torch' };
}

/** The spec bench/pytorch_reference.py reads: weights as raw float32, layer table, pairs, windows. */
function torchSpec(work, model, pairs, batch) {
  return writeTorchSpec(work, model, `${model.family.name}-${batch}`, {
    threads: CPU_THREADS,
    device: TORCH_DEVICE,
    batch,
    segment: Math.round(SEGMENT * model.family.sampleRate),
    pairs: pairs.map((p) => [p.ref, p.syn]),
  });
}

function runTorch(torch, spec) {
  const result = spawnSync(torch.python, [path.join(here, '..', 'pytorch_reference.py'), spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`PyTorch reference failed: ${result.stderr.slice(-800)}`);
  return JSON.parse(result.stdout);
}

const fmt = (value, digits = 2, width = 9) => (value === null || value === undefined ? '-' : value.toFixed(digits)).padStart(width);

const work = mkdtempSync(path.join(tmpdir(), 'tts-critic-gpu-check-'));
try {
  const pairs = writeCorpus(path.join(work, 'corpus'));
  const audioSeconds = pairs.reduce((sum, p) => sum + p.samples / RATE, 0);
  const torch = findTorch();
  console.log(`tts-critic GPU check: ${PAIRS} speech-like pairs of ${MIN_SECONDS}-${MAX_SECONDS} s at 32 kHz (${audioSeconds.toFixed(1)} audio-s per side), ${SEGMENT} s windows`);
  console.log(`untrained full-size weights; CPU: ${CPU_THREADS} threads; GPU: --device ${DEVICE}`);
  console.log(torch.skip ? `PyTorch: skipped (${torch.skip})` : `PyTorch: torch ${torch.version} on ${TORCH_DEVICE}${torch.gpu ? ` (${torch.gpu})` : ''}, same weights, windows and batches, scoring loop only`);

  for (const family of FAMILIES) {
    const spec = findFamily(family);
    if (!spec) throw new Error(`unknown family ${family}`);
    const windows = pairs.reduce((n, p) => n + planWindows(p.samples, Math.round(SEGMENT * spec.sampleRate)).length, 0);
    const cpu = await run(family, 'cpu', 'auto', pairs);
    const reference = new Map([...cpu.results].map(([key, result]) => [key, values(result)]));
    const model = torch.skip ? null : resolveModel(spec, untrainedWeights(spec, 0));
    console.log('');
    console.log(`${family}: ${windows} windows; CPU ${fmt(audioSeconds / cpu.seconds)} audio-s/s (set-up ${cpu.setup.toFixed(1)} s)`);
    const rows = [];
    let adapter = null;
    for (const batch of BATCHES) {
      const gpu = await run(family, DEVICE, batch, pairs);
      if (gpu.model.provider !== 'webgpu') throw new Error(`--device ${DEVICE} ran on ${gpu.model.provider}: ${gpu.notices.join('; ')}`);
      adapter = gpu.model.adapter;
      const diff = maxRelativeDifference(gpu.results, reference);
      let torchRun = null;
      if (model) {
        // "auto" batches as many windows as the memory budget allows; PyTorch gets every window of a length at once.
        torchRun = runTorch(torch, torchSpec(work, model, pairs, batch === 'auto' ? windows : Number(batch)));
        const fmDiff = Math.max(...pairs.map((p, i) => Math.abs(gpu.results.get(p.key).totals.fm - torchRun.fm[i]) / Math.abs(torchRun.fm[i])));
        if (fmDiff > 1e-3) throw new Error(`PyTorch and tts-critic disagree on fm by ${fmDiff.toExponential(1)}: not the same work`);
      }
      rows.push({ batch, gpu, diff, torchRun });
    }
    console.log(`adapter: ${adapter ?? '(not named)'}`);
    console.log('batch     set-up s  webgpu audio-s/s  vs CPU   max rel diff (values) | torch audio-s/s  webgpu/torch');
    for (const { batch, gpu, diff, torchRun } of rows) {
      const ours = audioSeconds / gpu.seconds;
      const theirs = torchRun ? audioSeconds / torchRun.seconds : null;
      console.log(
        `${String(batch).padEnd(8)} ${fmt(gpu.setup)} ${fmt(ours, 2, 17)} ${fmt(ours / (audioSeconds / cpu.seconds), 2, 7)}x  ${diff.max.toExponential(1).padStart(9)} (${diff.count})` +
          ` | ${fmt(theirs, 2, 15)} ${theirs ? `${fmt(ours / theirs, 2, 12)}x` : '           -'}`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
