// The report-scale benchmark (issue 22): `merge`, `report`, `--baseline` and `--resume` on
// generated reports of the CLI's own JSONL rows (gpt-sovits columns with per-layer values, about
// 3.3 KB a row, as `score --format jsonl --layers` writes them). Run after `npm run build`:
//   node bench/report-scale.mjs                 (env: ROWS=100000,1000000 DIR=/tmp KEEP=0)
//
// For each size it writes one report (never downloads anything) and times each command as a
// child process with bench/peak-rss.cjs preloaded: wall time, input MB/s, CPU time (with GNU
// time, /usr/bin/time) and peak RSS.
//   merge     merge big.jsonl -o all.csv                       (sort by key, CSV out)
//   report    report big.jsonl -o report.html                  (HTML page, bounded rows)
//   baseline  merge big.jsonl --baseline big.jsonl --format jsonl -o out.jsonl
//             (reads both: its MB are those of the two inputs)
//   resume    score --resume big.jsonl --pairs pairs.csv --format jsonl -o out.jsonl
//             (every pair is done: it reads the report, carries every record over, scores none)
//   floor     the same `score` without --resume and with an empty shard: what holding the model
//             and the list of pairs costs, before any record (the part of `resume` that is not
//             the resume); run first, so it also warms the session cache for `resume`.
//             COMMANDS=merge,report picks commands (COMMANDS= runs the floor only).
// The generated files are deleted at the end (KEEP=1 keeps them). The figures are as noisy as
// the machine is busy: on a shared machine, read them as an order of magnitude.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFamily } from '../dist/index.js';
import { peakRssMb } from './peak-rss.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'bin', 'tts-critic.js');
const preload = path.join(here, 'peak-rss.cjs');
const SIZES = (process.env.ROWS ?? '100000,1000000').split(',').map(Number);
const root = mkdtempSync(path.join(process.env.DIR ?? '/tmp', 'tts-critic-report-scale-'));
const SUBS = findFamily('gpt-sovits').subs.map((s) => s.name);
const LAYERS = 17;

/** A deterministic PRNG (mulberry32), so the same sizes give the same files. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One record with the CLI's columns in its order (see columnsFor and toJsonRecord). */
function record(i, random) {
  const name = `spk${String(i % 1000).padStart(4, '0')}/utt_${String(i).padStart(8, '0')}.wav`;
  const r = {
    ref: `refs/${name}`,
    syn: `outputs/${name}`,
    status: 'ok',
    error: '',
    sample_rate: 32000,
    ref_seconds: 2 + random() * 6,
    syn_seconds: 2 + random() * 6,
    ref_format: 'wav/pcm16',
    syn_format: 'wav/pcm16',
    ref_sample_rate: 32000,
    syn_sample_rate: 32000,
    windows: 1 + Math.floor(random() * 4),
    fm: random(),
    gen: 1 + random(),
    real: random(),
    fake: random(),
    disc: random(),
    mel_l1: random(),
    mel_dtw: random(),
    offset_ms: random() * 10,
    warning: '',
  };
  for (const sub of SUBS) for (const m of ['fm', 'gen', 'real', 'fake']) r[`${m}_${sub}`] = random();
  r.family = 'gpt-sovits';
  r.weights = 'untrained:seed=0';
  r.fm_layers = Object.fromEntries(SUBS.map((sub) => [sub, Array.from({ length: LAYERS }, () => random())]));
  return r;
}

async function generate(file, rows) {
  const random = prng(rows);
  const out = createWriteStream(file);
  let batch = [];
  for (let i = 0; i < rows; i++) {
    batch.push(JSON.stringify(record(i, random)));
    if (batch.length === 2000 || i === rows - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      batch = [];
    }
  }
  await new Promise((resolve) => out.end(resolve));
}

async function manifest(file, rows) {
  const out = createWriteStream(file);
  out.write('ref,syn\n');
  let batch = [];
  for (let i = 0; i < rows; i++) {
    const name = `spk${String(i % 1000).padStart(4, '0')}/utt_${String(i).padStart(8, '0')}.wav`;
    batch.push(`refs/${name},outputs/${name}`);
    if (batch.length === 5000 || i === rows - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      batch = [];
    }
  }
  await new Promise((resolve) => out.end(resolve));
}

function run(name, args, inputBytes) {
  const rssFile = path.join(root, `rss-${name}.txt`);
  rmSync(rssFile, { force: true });
  const start = process.hrtime.bigint();
  // CPU seconds (user + system) through GNU time where there is one: on a busy machine they say
  // more than the wall clock.
  const timeFile = path.join(root, `time-${name}.txt`);
  const timed = existsSync('/usr/bin/time');
  const command = timed ? ['/usr/bin/time', '-o', timeFile, '-f', '%U %S', process.execPath] : [process.execPath];
  const child = spawnSync(command[0], [...command.slice(1), '--require', preload, cli, ...args], {
    cwd: root,
    env: { ...process.env, TTS_CRITIC_BENCH_RSS: rssFile, TTS_CRITIC_CACHE: path.join(root, 'cache') },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0 && child.status !== 3) {
    console.log(`${name}: exit ${child.status}\n${child.stderr.slice(-2000)}`);
    process.exitCode = 1;
    return;
  }
  const mb = inputBytes / 1e6;
  if (!existsSync(rssFile)) return;
  const rss = peakRssMb(readFileSync(rssFile, 'utf8'));
  const cpu = timed ? readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number).reduce((a, b) => a + b, 0) : NaN;
  console.log(
    `${name.padEnd(9)} ${`${mb.toFixed(0)} MB`.padStart(8)}  ${seconds.toFixed(1).padStart(7)} s wall ${(mb / seconds).toFixed(1).padStart(6)} MB/s` +
      (timed ? `  ${cpu.toFixed(1).padStart(7)} s CPU ${(mb / cpu).toFixed(1).padStart(6)} MB/s` : '') +
      `  peak RSS ${rss.toFixed(0)} MB`,
  );
}

try {
  for (const rows of SIZES) {
    const big = path.join(root, 'big.jsonl');
    const pairs = path.join(root, 'pairs.csv');
    await generate(big, rows);
    await manifest(pairs, rows);
    const bytes = statSync(big).size;
    console.log(`\n${rows} rows, ${(bytes / 1e6).toFixed(0)} MB (${(bytes / rows).toFixed(0)} bytes a row):`);
    const commands = {
      merge: ['merge', 'big.jsonl', '-q', '-o', 'out.csv'],
      report: ['report', 'big.jsonl', '-q', '-o', 'out.html'],
      baseline: ['merge', 'big.jsonl', '-q', '--baseline', 'big.jsonl', '--format', 'jsonl', '-o', 'out.jsonl'],
      resume: ['score', '-f', 'gpt-sovits', '--pairs', 'pairs.csv', '--resume', 'big.jsonl', '-q', '--format', 'jsonl', '-o', 'out.jsonl'],
    };
    // What `score` holds before any record: the model and the list of this run's pairs. Run
    // first, so that `resume` finds the session cache warm, as a resumed run does (the run it
    // resumes built it); a cold build is a one-off cost of its own.
    run('floor', ['score', '-f', 'gpt-sovits', '--pairs', 'pairs.csv', '--shard', `${rows + 1}/${rows + 1}`, '-q', '--format', 'jsonl', '-o', 'out.jsonl'], 0);
    rmSync(path.join(root, 'out.jsonl'), { force: true });
    for (const name of (process.env.COMMANDS ?? 'merge,report,baseline,resume').split(',').filter(Boolean)) {
      if (!commands[name]) throw new Error(`COMMANDS: unknown command "${name}" (expected some of ${Object.keys(commands).join(', ')}; empty: floor only)`);
      // `--baseline` reads two inputs (the report and the baseline, here the same file twice).
      run(name, commands[name], name === 'baseline' ? 2 * bytes : bytes);
      for (const out of ['out.csv', 'out.html', 'out.jsonl']) rmSync(path.join(root, out), { force: true });
    }
  }
} finally {
  if (process.env.KEEP !== '1') rmSync(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
}
