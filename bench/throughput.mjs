// Scoring throughput per family on this machine. Run after `npm run build`:
//   node bench/throughput.mjs [family ...]      (env: SECONDS=60 SEGMENT=2 THREADS=)
//
// For each family (full-size untrained weights, the built-in default's path) it scores a pair of
// SECONDS of synthetic speech-like audio, cut into the default windows, through the public
// library API, and prints:
//   * audio-s/s: seconds of audio (per side) scored per wall-clock second, i.e. x realtime;
//   * GFLOP/s achieved, counted from the layer tables (bench/flops.mjs);
//   * the ratio of that rate to the reference measurements on this project's 2-core CPU
//     (../shared/reference/formats-and-runtime.md): PyTorch 1.13 at 170 GFLOP/s, and the
//     425 GFLOP/s FMA peak.
// Session start-up and the first window (allocation) are excluded from the rate.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import wav from 'node-wav';
import { createScorer, FAMILIES } from '../dist/index.js';
import { pairFlops } from './flops.mjs';

const SECONDS = Number(process.env.SECONDS ?? 30);
const SEGMENT = process.env.SEGMENT === undefined ? undefined : Number(process.env.SEGMENT);
const THREADS = process.env.THREADS ? Number(process.env.THREADS) : undefined;
const PYTORCH_GFLOPS = 170;
const PEAK_GFLOPS = 425;

function speechLike(seconds, rate, seed) {
  const n = Math.round(seconds * rate);
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const t = i / rate;
    const f0 = 120 * (1 + 0.2 * Math.sin(2 * Math.PI * 0.5 * t));
    x[i] = 0.3 * Math.sin(2 * Math.PI * f0 * t) * (0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t)) + 0.02 * (s / 2147483648 - 0.5);
  }
  return x;
}

async function measure(family, dir) {
  const rate = family.sampleRate;
  const ref = path.join(dir, `${family.name}-ref.wav`);
  const syn = path.join(dir, `${family.name}-syn.wav`);
  const warm = path.join(dir, `${family.name}-warm.wav`);
  writeFileSync(ref, wav.encode([speechLike(SECONDS, rate, 1)], { sampleRate: rate, bitDepth: 16 }));
  writeFileSync(syn, wav.encode([speechLike(SECONDS, rate, 2)], { sampleRate: rate, bitDepth: 16 }));
  writeFileSync(warm, wav.encode([speechLike(2.5, rate, 3)], { sampleRate: rate, bitDepth: 16 }));

  const t0 = performance.now();
  const scorer = await createScorer({ family: family.name, ...(SEGMENT !== undefined ? { segment: SEGMENT } : {}), ...(THREADS ? { threads: THREADS } : {}) });
  const startup = (performance.now() - t0) / 1000;
  await scorer.scoreFiles(warm, warm);
  const t1 = performance.now();
  const result = await scorer.scoreFiles(ref, syn);
  const elapsed = (performance.now() - t1) / 1000;
  await scorer.dispose();
  if (result.status !== 'ok') throw new Error(`${family.name}: ${result.error}`);

  const segment = scorer.model.segmentSamples || Math.round(SECONDS * rate);
  const flops = pairFlops(family.subs, segment) * result.windows;
  const gflops = flops / elapsed / 1e9;
  return { family: family.name, startup, windows: result.windows, elapsed, rate: SECONDS / elapsed, gflops };
}

const wanted = process.argv.slice(2);
const families = FAMILIES.filter((f) => wanted.length === 0 || wanted.includes(f.name));
const dir = await mkdtemp(path.join(tmpdir(), 'tts-critic-bench-'));
try {
  console.log(`tts-critic scoring throughput: ${SECONDS} s pairs, full-size untrained weights, CPU${THREADS ? `, ${THREADS} threads` : ''}`);
  console.log('family             start-up  windows   audio-s/s (x realtime)   GFLOP/s   vs PyTorch 1.13   vs FMA peak');
  for (const family of families) {
    const r = await measure(family, dir);
    console.log(
      `${r.family.padEnd(18)} ${r.startup.toFixed(1).padStart(6)} s ${String(r.windows).padStart(8)} ` +
        `${r.rate.toFixed(2).padStart(11)}              ${r.gflops.toFixed(0).padStart(7)}   ${(r.gflops / PYTORCH_GFLOPS).toFixed(2).padStart(10)}x   ${(r.gflops / PEAK_GFLOPS).toFixed(2).padStart(10)}x`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
