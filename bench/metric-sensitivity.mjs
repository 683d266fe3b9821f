// How much each metric of the default model (untrained sovits5, whole files) sees additive
// noise and band-limiting, next to a vocoder's output (README, "Which metric when"; issue 24).
//
// Inputs: DEMO_DIR with ref/<name>.wav (recordings) and vocoder/<name>.wav (a vocoder's
// copy-synthesis of them, e.g. the LJSpeech utterances and HiFi-GAN V1 outputs of the public
// HiFi-GAN demo page), if given. Without it (this machine has no network) it generates
// UTTERANCES speech-like utterances at 22.05 kHz with bench/speech.mjs: the reference is variant
// 0 and the "vocoder output" variant 1 (pitch, formants and breath noise perturbed the way a
// vocoder's output differs from the recording).
//
// Conditions, each scored against the reference: the vocoder output; the reference plus white
// noise at 30 dB SNR (seeded Gaussian noise scaled to the reference's RMS); the reference
// low-passed at 4 kHz (`sox ... lowpass 4000`, a 2-pole Butterworth). Prints mean fm, mel_l1 and
// mel_dtw per condition and each as a multiple of the vocoder output's. Needs `npm run build`
// and sox.
//
//   node bench/metric-sensitivity.mjs          DEMO_DIR=... UTTERANCES=3
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import wav from 'node-wav';
import { createScorer } from '../dist/index.js';
import { speechLike } from './speech.mjs';

const RATE = 22050;
const UTTERANCES = Number(process.env.UTTERANCES ?? 3);
const root = mkdtempSync(path.join(tmpdir(), 'tts-critic-sensitivity-'));

function write(file, samples, rate) {
  writeFileSync(file, wav.encode([samples], { sampleRate: rate, bitDepth: 16 }));
}

function gaussian(seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

try {
  const dirs = Object.fromEntries(['ref', 'vocoder', 'noise30db', 'lowpass4k'].map((d) => [d, path.join(root, d)]));
  for (const d of Object.values(dirs)) mkdirSync(d);
  let source;
  if (process.env.DEMO_DIR) {
    source = `${process.env.DEMO_DIR} (recordings and vocoder outputs)`;
    for (const name of readdirSync(path.join(process.env.DEMO_DIR, 'ref')).filter((f) => f.endsWith('.wav'))) {
      writeFileSync(path.join(dirs.ref, name), readFileSync(path.join(process.env.DEMO_DIR, 'ref', name)));
      writeFileSync(path.join(dirs.vocoder, name), readFileSync(path.join(process.env.DEMO_DIR, 'vocoder', name)));
    }
  } else {
    source = `${UTTERANCES} generated speech-like utterances (bench/speech.mjs; "vocoder" = variant 1)`;
    for (let i = 0; i < UTTERANCES; i++) {
      const seconds = 4 + i;
      write(path.join(dirs.ref, `u${i}.wav`), speechLike(seconds, RATE, i + 1, 0), RATE);
      write(path.join(dirs.vocoder, `u${i}.wav`), speechLike(seconds, RATE, i + 1, 1), RATE);
    }
  }
  for (const name of readdirSync(dirs.ref)) {
    const decoded = wav.decode(readFileSync(path.join(dirs.ref, name)));
    const x = decoded.channelData[0];
    let power = 0;
    for (const v of x) power += v * v;
    const sigma = Math.sqrt(power / x.length / 10 ** (30 / 10));
    const g = gaussian(name.length * 7919 + x.length);
    write(path.join(dirs.noise30db, name), Float32Array.from(x, (v) => v + sigma * g()), decoded.sampleRate);
    execFileSync('sox', [path.join(dirs.ref, name), path.join(dirs.lowpass4k, name), 'lowpass', '4000']);
  }

  const scorer = await createScorer({ segment: 0 });
  const means = {};
  try {
    for (const condition of ['vocoder', 'noise30db', 'lowpass4k']) {
      const sums = { fm: 0, mel_l1: 0, mel_dtw: 0 };
      let n = 0;
      for await (const r of scorer.scoreFolders(dirs.ref, dirs[condition])) {
        if (r.status !== 'ok') throw new Error(`${r.syn}: ${r.status} ${r.error}`);
        sums.fm += r.totals.fm;
        sums.mel_l1 += r.totals.melL1;
        sums.mel_dtw += r.totals.melDtw;
        n++;
      }
      means[condition] = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
    }
  } finally {
    await scorer.dispose();
  }
  console.log(`default model (${scorer.model.family}, untrained), whole files; ${source}`);
  console.log('condition      fm        mel_l1    mel_dtw   | fm / vocoder  mel_l1 / vocoder  mel_dtw / vocoder');
  for (const [condition, m] of Object.entries(means)) {
    const ratio = (k) => (m[k] / means.vocoder[k]).toFixed(2).padStart(8);
    console.log(
      `${condition.padEnd(12)} ${m.fm.toFixed(3).padStart(8)}  ${m.mel_l1.toFixed(3).padStart(8)}  ${m.mel_dtw.toFixed(3).padStart(8)}  | ${ratio('fm')}x      ${ratio('mel_l1')}x         ${ratio('mel_dtw')}x`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
