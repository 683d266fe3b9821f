// `compare` at scale (issue 24): FILES files (default 100,000) scored by SYSTEMS systems
// (default 5), as the CLI's own JSONL rows (every contract column, sovits5's 12
// sub-discriminators, 7 per-layer fm values of LAYER_SUBS of them: about 3.2 kB a row, 1.6 GB in all at
// the defaults), then `tts-critic compare` over them in its own process: wall time and peak RSS.
// The rows are written once into BENCH_DIR (default a temp folder, removed at the end unless
// BENCH_DIR is given). Needs `npm run build`. Also prints the in-process split: reading vs
// statistics, so the cost of the intervals is visible.
//
//   node bench/compare.mjs            FILES=100000 SYSTEMS=5 RESAMPLES=10000
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { columnsFor, jsonlLine } from '../dist/report/index.js';
import { findFamily } from '../dist/model/index.js';
import { compareReports } from '../dist/index.js';
import { peakRssMb } from './peak-rss.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FILES = Number(process.env.FILES ?? 100_000);
const SYSTEMS = Number(process.env.SYSTEMS ?? 5);
const RESAMPLES = process.env.RESAMPLES;
const LAYER_SUBS = Number(process.env.LAYER_SUBS ?? 12);
const LAYERS = 7;
const keep = process.env.BENCH_DIR !== undefined;
const dir = process.env.BENCH_DIR ?? mkdtempSync(path.join(tmpdir(), 'tts-critic-compare-'));
mkdirSync(dir, { recursive: true });

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const family = findFamily('sovits5');
const subs = family.subs.map((s) => s.name);
const layerSubs = subs.slice(0, LAYER_SUBS);
const layers = Object.fromEntries(layerSubs.map((s) => [s, LAYERS]));
const columns = columnsFor(subs, layers);

async function writeSystem(file, s) {
  const base = mulberry32(1); // the files' own difficulty, shared by every system
  const noise = mulberry32(100 + s);
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let pending = [];
  for (let i = 0; i < FILES; i++) {
    const difficulty = 1.5 + 2 * base();
    const v = () => difficulty * (1 + 0.01 * s) * (1 + 0.05 * (noise() - 0.5));
    const key = `spk${i % 50}/utt${String(i).padStart(6, '0')}`;
    const row = {
      ref: `data/ref/${key}.wav`, syn: `data/sys${s}/${key}.wav`, status: 'ok', error: '',
      sample_rate: 32000, ref_seconds: 3 + base(), syn_seconds: 3 + base(), ref_format: 'wav', syn_format: 'wav',
      ref_sample_rate: 22050, syn_sample_rate: 22050, windows: 3,
      fm: v(), gen: 2 * v(), real: 0.5 * v(), fake: 0.4 * v(), disc: 0.9 * v(), mel_l1: 0.2 * v(), mel_dtw: 0.25 * v(), offset_ms: 0, warning: '',
      family: 'sovits5', weights: 'untrained:seed=0',
    };
    for (const sub of subs) {
      row[`fm_${sub}`] = v();
      row[`gen_${sub}`] = v();
      row[`real_${sub}`] = v();
      row[`fake_${sub}`] = v();
    }
    for (const sub of layerSubs) for (let l = 0; l < LAYERS; l++) row[`fm_${sub}_${l}`] = v();
    pending.push(jsonlLine(row, columns, subs));
    if (pending.length === 1000) {
      if (!out.write(pending.join(''))) await new Promise((r) => out.once('drain', r));
      pending = [];
    }
  }
  out.end(pending.join(''));
  await new Promise((r) => out.on('finish', r));
}

const files = [];
let bytes = 0;
const started = performance.now();
for (let s = 0; s < SYSTEMS; s++) {
  const file = path.join(dir, `sys${s}-${FILES}.jsonl`);
  if (!existsSync(file)) await writeSystem(file, s);
  files.push(file);
  bytes += statSync(file).size;
}
console.log(`reports: ${SYSTEMS} systems x ${FILES} files, ${(bytes / 1e9).toFixed(2)} GB of JSONL (${(bytes / SYSTEMS / FILES / 1000).toFixed(2)} kB a row), ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The CLI in its own process, as users run it.
const rssFile = path.join(dir, `rss-${process.pid}.txt`);
const args = ['--require', path.join(here, 'peak-rss.cjs'), path.join(here, '..', 'bin', 'tts-critic.js'), 'compare', ...files, '--format', 'json', '-o', path.join(dir, 'compare.json'), '-q'];
if (RESAMPLES) args.push('--resamples', RESAMPLES);
const t0 = performance.now();
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TTS_CRITIC_BENCH_RSS: rssFile } });
  child.on('close', resolve);
});
const wall = (performance.now() - t0) / 1000;
const rss = peakRssMb(readFileSync(rssFile, 'utf8'));
const result = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')).comparison;
console.log(`cli compare: exit ${code}, ${wall.toFixed(1)} s wall, peak RSS ${rss.toFixed(0)} MB, ${(bytes / 1e6 / wall).toFixed(0)} MB/s of reports`);
console.log(`  ${result.metrics.length} metrics x ${result.metrics[0].pairs.length} pairs; ${result.intervalNote}`);

// In-process split: reading (streamed, per report) vs statistics.
const t1 = performance.now();
const { readScoreTable } = await import('../dist/quality/score-table.js');
const { compareTables } = await import('../dist/quality/compare.js');
const tables = [];
for (const file of files) tables.push(await readScoreTable(file, ['fm', 'mel_l1', 'mel_dtw', 'gen']));
const t2 = performance.now();
compareTables(tables, RESAMPLES ? { resamples: Number(RESAMPLES) } : {});
const t3 = performance.now();
console.log(`  in process: reading ${((t2 - t1) / 1000).toFixed(1)} s, statistics ${((t3 - t2) / 1000).toFixed(1)} s`);
void compareReports;
if (!keep) rmSync(dir, { recursive: true, force: true });
