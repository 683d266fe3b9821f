// The end-to-end scoring benchmark (issue 7). Run after `npm run build`:
//   node bench/corpus.mjs                 (env: FAMILIES=gpt-sovits,sovits5 PAIRS=16 THREADS=2
//                                               MEMORY_FILES=10,200 PYTHON= TORCH=0 skips it)
//
// 1. Generates (never downloads) a corpus of speech-like pairs at 32 kHz: PAIRS pairs of
//    3-5 s, the synthesized side a perturbed rendition of the reference; families of other
//    rates score the same corpus rendered at their rate.
// 2. Measures this machine's FMA peak with bench/fma-peak.c (needs a C compiler).
// 3. For each family, scores the corpus with the real CLI (untrained full-size weights, the
//    default windows, THREADS engine threads) and prints audio-seconds per wall second (CLI
//    start-up included), achieved GFLOP/s in model convolution FLOPs (bench/flops.mjs), and
//    the fraction of the FMA peak.
// 4. When `python3` can import torch (Debian: apt-get install python3-torch), runs the same
//    architecture, weights and windows in PyTorch (bench/pytorch_reference.py, its scoring
//    loop only, THREADS threads), prints the ratio, and checks both gave the same fm.
// 5. Scores MEMORY_FILES pairs (1 s each) with the default family and prints the CLI's peak
//    RSS for each count: streaming keeps it flat as the corpus grows.
// Before all that, per family: the CLI's start-up and one-pair latency. `tts-critic --help`
// and one 0.5 s pair, the first call on an empty session cache (cold: it optimizes and stores
// the session), then PAIR_RUNS warm calls interleaved with --help calls (medians), each
// with its peak RSS. All runs use a throw-away cache folder (TTS_CRITIC_CACHE), never the
// user's; the corpus runs then start warm, as every run after the first does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wav from 'node-wav';
import { createScorer, DEFAULT_FAMILY, DEFAULT_SEGMENT_SECONDS, findFamily } from '../dist/index.js';
import { resolveModel, untrainedWeights } from '../dist/model/index.js';
import { planWindows } from '../dist/pipeline/windows.js';
import { pairFlops, pairStftFlops } from './flops.mjs';
import { peakRssMb } from './peak-rss.mjs';
import { speechLike } from './speech.mjs';
import { measureFmaPeak } from './peak.mjs';
import { writeTorchSpec } from './torch-spec.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'bin', 'tts-critic.js');
const FAMILIES = (process.env.FAMILIES ?? 'gpt-sovits,sovits5').split(',').filter(Boolean);
const PAIRS = Number(process.env.PAIRS ?? 16);
const THREADS = Number(process.env.THREADS ?? 2);
const MEMORY_FILES = (process.env.MEMORY_FILES ?? '10,200').split(',').filter(Boolean).map(Number);
const PAIR_RUNS = Number(process.env.PAIR_RUNS ?? 3);
const RATE = 32000;

// --- corpus -----------------------------------------------------------------------------

function writeCorpus(dir, count, seconds, rate = RATE) {
  for (const side of ['ref', 'syn']) mkdirSync(path.join(dir, side), { recursive: true });
  const lengths = [];
  for (let i = 0; i < count; i++) {
    const duration = seconds(i);
    const name = `utt${String(i).padStart(4, '0')}.wav`;
    const ref = speechLike(duration, rate, i + 1, 0);
    const syn = speechLike(duration, rate, i + 1, 1);
    writeFileSync(path.join(dir, 'ref', name), wav.encode([ref], { sampleRate: rate, bitDepth: 16 }));
    writeFileSync(path.join(dir, 'syn', name), wav.encode([syn], { sampleRate: rate, bitDepth: 16 }));
    lengths.push({ name, samples: ref.length });
  }
  return lengths;
}

// --- measurements -----------------------------------------------------------------------

/**
 * Runs the CLI with `args` (a `score` run writes JSONL to a temp file); resolves with wall
 * seconds, peak RSS (MB) and the JSONL records (none for other commands).
 */
function runCli(args, work, { score = true } = {}) {
  const rssFile = path.join(work, `rss-${process.hrtime.bigint()}`);
  const output = path.join(work, `out-${process.hrtime.bigint()}.jsonl`);
  const argv = score ? ['score', ...args, '-o', output, '--quiet'] : args;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', path.join(here, 'peak-rss.cjs'), cli, ...argv], {
      env: { ...process.env, TTS_CRITIC_BENCH_RSS: rssFile, TTS_CRITIC_CACHE: cacheDir },
      stdio: ['ignore', score ? 'inherit' : 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = (performance.now() - start) / 1000;
      if (code !== 0) return reject(new Error(`tts-critic exited with ${code}`));
      const records = score ? readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
      resolve({ wall, rssMb: peakRssMb(readFileSync(rssFile, 'utf8')), records });
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * `--help` and one 0.5 s pair: the cold call (empty cache for this family and flags), then
 * PAIR_RUNS warm calls, each after a --help call so that both see the same machine state.
 */
async function pairLatency(name, pairDir, work) {
  const args = [path.join(pairDir, 'ref'), path.join(pairDir, 'syn'), '--family', name, '--threads', String(THREADS)];
  const cold = await runCli(args, work);
  const help = [];
  const warm = [];
  for (let i = 0; i < PAIR_RUNS; i++) {
    help.push(await runCli(['--help'], work, { score: false }));
    warm.push(await runCli(args, work));
  }
  return {
    cold,
    help: median(help.map((r) => r.wall)),
    helpRss: Math.max(...help.map((r) => r.rssMb)),
    warm: median(warm.map((r) => r.wall)),
    warmRss: Math.max(...warm.map((r) => r.rssMb)),
  };
}

/** Seconds to set up the family's untrained model and engine session (warm cache), as the CLI does first. */
async function timeStartup(family) {
  const start = performance.now();
  const scorer = await createScorer({ family, threads: THREADS, cacheDir, onNotice: () => {} });
  const seconds = (performance.now() - start) / 1000;
  await scorer.dispose();
  return seconds;
}

/** The first Python that imports torch: $PYTHON, python3 on PATH, then the system one (Debian's python3-torch). */
function findTorch() {
  if (process.env.TORCH === '0') return null;
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return null;
}

/** Writes the resolved weights and layer table for bench/pytorch_reference.py. */
function torchSpec(work, model, corpusDir, lengths, segment) {
  return writeTorchSpec(work, model, model.family.name, {
    threads: THREADS,
    segment,
    pairs: lengths.map((l) => [path.join(corpusDir, 'ref', l.name), path.join(corpusDir, 'syn', l.name)]),
  });
}

function runTorch(python, spec) {
  const run = spawnSync(python, [path.join(here, 'pytorch_reference.py'), spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`PyTorch reference failed: ${run.stderr.slice(-500)}`);
  return JSON.parse(run.stdout);
}

function fmt(value, digits = 2, width = 8) {
  return (value === null || value === undefined ? '-' : value.toFixed(digits)).padStart(width);
}

// --- main -------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'tts-critic-corpus-'));
const cacheDir = path.join(work, 'cache');
try {
  const corpus = path.join(work, 'corpus');
  const pairDir = path.join(work, 'pair');
  writeCorpus(pairDir, 1, () => 0.5);
  const durations = (i) => 3 + (2 * i) / Math.max(1, PAIRS - 1);
  const lengths = writeCorpus(corpus, PAIRS, durations);
  const audioSeconds = lengths.reduce((sum, l) => sum + l.samples / RATE, 0);
  // The same corpus rendered at each family's own rate (24, 44.1 kHz ...): the CLI would
  // resample the 32 kHz files, the PyTorch reference reads samples as they are, and both must
  // score the same samples.
  const corpora = new Map([[RATE, { dir: corpus, lengths }]]);
  const corpusAt = (rate) => {
    if (!corpora.has(rate)) {
      const dir = path.join(work, `corpus-${rate}`);
      corpora.set(rate, { dir, lengths: writeCorpus(dir, PAIRS, durations, rate) });
    }
    return corpora.get(rate);
  };
  const peak = measureFmaPeak(THREADS);
  const torch = findTorch();

  console.log(`tts-critic corpus benchmark: ${PAIRS} speech-like pairs of 3-5 s at 32 kHz (${audioSeconds.toFixed(1)} audio-s per side),`);
  console.log(`default ${DEFAULT_SEGMENT_SECONDS} s windows, ${THREADS} threads, untrained full-size weights, CPU`);
  console.log(peak ? `FMA peak (measured, ${peak.isa}, ${THREADS} threads): ${peak.gflops.toFixed(0)} GFLOP/s` : 'FMA peak: not measured (no C compiler)');
  console.log(torch ? `PyTorch reference: torch ${torch.version} (${torch.python}), same weights and windows, ${THREADS} threads, scoring loop only` : 'PyTorch reference: skipped (no python3 imports torch; Debian: apt-get install python3-torch)');
  console.log('');
  console.log(`start-up and one pair: whole CLI runs, wall seconds (median of ${PAIR_RUNS} after the cold call) and peak RSS`);
  console.log('family             --help s   RSS MB | 0.5 s pair: cold s   RSS MB   warm s   RSS MB   warm / --help');
  for (const name of FAMILIES) {
    const p = await pairLatency(name, pairDir, work);
    console.log(
      `${name.padEnd(18)} ${fmt(p.help, 2, 8)} ${fmt(p.helpRss, 0, 8)} |           ${fmt(p.cold.wall, 2, 8)} ${fmt(p.cold.rssMb, 0, 8)} ${fmt(p.warm, 2, 8)} ${fmt(p.warmRss, 0, 8)} ${fmt(p.warm / p.help, 2, 12)}x`,
    );
  }
  console.log('');
  console.log('"wall" is the whole CLI run (session cache warm); "start-up" is the model and session set-up within it');
  console.log('(timed apart through the library); "scoring" = wall - start-up. GFLOP/s and "of peak" are over the wall time.');
  console.log('');
  console.log('family             windows   wall s  start-up  RSS MB  audio-s/s   GFLOP/s  of peak  (scoring) | torch s  audio-s/s   GFLOP/s |  speed-up  fm max rel diff');

  for (const name of FAMILIES) {
    const family = findFamily(name);
    const model = resolveModel(family, untrainedWeights(family, 0));
    const segment = Math.round(DEFAULT_SEGMENT_SECONDS * family.sampleRate);
    const { dir: corpus, lengths } = corpusAt(family.sampleRate);
    let flops = 0;
    let stftFlops = 0;
    let windows = 0;
    for (const l of lengths) {
      for (const w of planWindows(l.samples, segment)) {
        flops += pairFlops(model.subs, w.length, model.weights);
        stftFlops += pairStftFlops(model.subs, w.length, model.weights);
        windows += 1;
      }
    }
    // --align none: the PyTorch reference scores the windows as they are, while the CLI's
    // default (--align offset) would first shift these generated pairs by the few samples of
    // delay it finds in them, and fm would then compare different windows (8e-2 apart).
    const ours = await runCli([path.join(corpus, 'ref'), path.join(corpus, 'syn'), '--family', name, '--threads', String(THREADS), '--align', 'none'], work);
    const gflops = flops / ours.wall / 1e9;
    const startup = await timeStartup(name);
    const scoringShare = peak ? flops / (ours.wall - startup) / 1e9 / peak.gflops : null;
    let reference = null;
    let parity = null;
    if (torch) {
      reference = runTorch(torch.python, torchSpec(work, model, corpus, lengths, segment));
      const byName = new Map(ours.records.map((r) => [path.basename(r.syn), r.fm]));
      parity = Math.max(...lengths.map((l, i) => Math.abs(byName.get(l.name) - reference.fm[i]) / Math.abs(reference.fm[i])));
    }
    const torchGflops = reference ? flops / reference.seconds / 1e9 : null;
    console.log(
      `${name.padEnd(18)} ${String(windows).padStart(7)} ${fmt(ours.wall)} ${fmt(startup, 2, 9)} ${fmt(ours.rssMb, 0, 7)} ${fmt(audioSeconds / ours.wall, 2, 10)} ${fmt(gflops, 0, 9)} ${fmt(peak ? gflops / peak.gflops : null, 2, 8)} ${fmt(scoringShare, 2, 10)} |` +
        ` ${fmt(reference?.seconds ?? null, 2, 7)} ${fmt(reference ? audioSeconds / reference.seconds : null, 2, 10)} ${fmt(torchGflops, 0, 9)} |` +
        ` ${fmt(reference ? reference.seconds / ours.wall : null, 2, 8)}x  ${parity === null ? '-' : parity.toExponential(1)}`,
    );
    if (stftFlops > 0) console.log(`${''.padEnd(18)} (plus ${(stftFlops / 1e9).toFixed(0)} GFLOP of STFT/CQT-as-convolution, not counted as model work)`);
  }

  if (MEMORY_FILES.length > 0) {
    console.log('');
    console.log(`peak RSS of the CLI by corpus size (${DEFAULT_FAMILY}, 1 s pairs, ${THREADS} threads):`);
    let first = null;
    for (const count of MEMORY_FILES) {
      const dir = path.join(work, `memory-${count}`);
      writeCorpus(dir, count, () => 1);
      const run = await runCli([path.join(dir, 'ref'), path.join(dir, 'syn'), '--threads', String(THREADS)], work);
      if (run.records.length !== count) throw new Error(`expected ${count} records, got ${run.records.length}`);
      first ??= run.rssMb;
      console.log(`  ${String(count).padStart(4)} pairs: ${run.rssMb.toFixed(0).padStart(5)} MB  (${((run.rssMb / first - 1) * 100).toFixed(1)}% vs the first)  ${run.wall.toFixed(1)} s`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
