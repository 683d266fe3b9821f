// Engine throughput per family, through the library API. Run after `npm run build`:
//   node bench/throughput.mjs [family ...]      (env: SECONDS=30 SEGMENT=2 THREADS=2)
//
// For each family (full-size untrained weights, the built-in default's path) it scores one
// pair of SECONDS of speech-like audio cut into the default windows and prints audio-seconds
// per second (x realtime), GFLOP/s in model convolution FLOPs (bench/flops.mjs) and the
// fraction of this machine's measured FMA peak (bench/peak.mjs). Session start-up (cold: an
// empty session cache) is printed apart; it and a warm-up pair are excluded from the rate. bench/corpus.mjs is the end-to-end CLI benchmark with PyTorch.
// On Linux, `npm run bench` starts this with the huge pages the CLI relaunches for
// (src/cli/relaunch.ts); run alone, set GLIBC_TUNABLES=glibc.malloc.hugetlb=1 to match.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import wav from 'node-wav';
import { createScorer, FAMILIES } from '../dist/index.js';
import { pairFlops } from './flops.mjs';
import { measureFmaPeak } from './peak.mjs';
import { speechLike } from './speech.mjs';

const SECONDS = Number(process.env.SECONDS ?? 30);
const SEGMENT = process.env.SEGMENT === undefined ? undefined : Number(process.env.SEGMENT);
const THREADS = Number(process.env.THREADS ?? 2);

async function measure(family, dir) {
  const rate = family.sampleRate;
  const files = {};
  for (const [name, seconds, seed] of [['ref', SECONDS, 1], ['syn', SECONDS, 2], ['warm', 2.5, 3]]) {
    files[name] = path.join(dir, `${family.name}-${name}.wav`);
    writeFileSync(files[name], wav.encode([speechLike(seconds, rate, seed)], { sampleRate: rate, bitDepth: 16 }));
  }
  const t0 = performance.now();
  // A throw-away session cache: start-up here is the cold one (graph build and optimization).
  const scorer = await createScorer({ family: family.name, threads: THREADS, cacheDir: dir, ...(SEGMENT !== undefined ? { segment: SEGMENT } : {}) });
  const startup = (performance.now() - t0) / 1000;
  await scorer.scoreFiles(files.warm, files.warm);
  const t1 = performance.now();
  const result = await scorer.scoreFiles(files.ref, files.syn);
  const elapsed = (performance.now() - t1) / 1000;
  await scorer.dispose();
  if (result.status !== 'ok') throw new Error(`${family.name}: ${result.error}`);
  const segment = scorer.model.segmentSamples || Math.round(SECONDS * rate);
  const gflops = (pairFlops(family.subs, segment) * result.windows) / elapsed / 1e9;
  return { family: family.name, startup, windows: result.windows, rate: SECONDS / elapsed, gflops };
}

const wanted = process.argv.slice(2);
const families = FAMILIES.filter((f) => wanted.length === 0 || wanted.includes(f.name));
const peak = measureFmaPeak(THREADS);
const dir = await mkdtemp(path.join(tmpdir(), 'tts-critic-bench-'));
try {
  console.log(`tts-critic engine throughput: ${SECONDS} s pairs, full-size untrained weights, CPU, ${THREADS} threads`);
  console.log(peak ? `FMA peak (measured, ${peak.isa}): ${peak.gflops.toFixed(0)} GFLOP/s` : 'FMA peak: not measured (no C compiler)');
  console.log('family             start-up  windows   audio-s/s (x realtime)   GFLOP/s   of FMA peak');
  for (const family of families) {
    const r = await measure(family, dir);
    const share = peak ? (r.gflops / peak.gflops).toFixed(2) : '-';
    console.log(`${r.family.padEnd(18)} ${r.startup.toFixed(1).padStart(6)} s ${String(r.windows).padStart(8)} ${r.rate.toFixed(2).padStart(11)}              ${r.gflops.toFixed(0).padStart(7)}   ${share.padStart(10)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
