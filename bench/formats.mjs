// Compressed input formats (issue 15). Run after `npm run build`, with flac, lame, oggenc and
// opusenc installed:  node bench/formats.mjs     (env: PAIRS=8 SECONDS=4 RATE=44100 FAMILIES=sovits5,gpt-sovits)
//
// 1. Score tolerance: generates PAIRS speech-like pairs (never downloads), encodes the
//    synthesized side as FLAC, MP3 (320 kbit/s), Ogg Vorbis (q8) and Ogg Opus (160 kbit/s),
//    scores every version against the same WAV references with each family (untrained
//    full-size weights, default windows) and prints how far fm and mel_l1 move from the WAV
//    scores: FLAC must not move at all; the others set the tolerance README documents.
// 2. Decode speed: reads each file whole at 32 kHz through openAudio and prints audio-seconds
//    per wall second for each format (best of 3 interleaved rounds after a warm-up), and the
//    ratio to the same audio as WAV (resampling 44.1 to 32 kHz is part of both).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import wav from 'node-wav';
import { createScorer } from '../dist/index.js';
import { openAudio } from '../dist/audio/index.js';
import { speechLike } from './speech.mjs';

const PAIRS = Number(process.env.PAIRS ?? 8);
const SECONDS = Number(process.env.SECONDS ?? 4);
const RATE = Number(process.env.RATE ?? 44100);
const FAMILIES = (process.env.FAMILIES ?? 'sovits5,gpt-sovits').split(',').filter(Boolean);

const CODECS = [
  { name: 'flac', ext: 'flac', tool: 'flac', args: (i, o) => ['--silent', '--force', '-o', o, i] },
  { name: 'mp3', ext: 'mp3', tool: 'lame', args: (i, o) => ['--quiet', '-b', '320', i, o] },
  { name: 'vorbis', ext: 'ogg', tool: 'oggenc', args: (i, o) => ['--quiet', '-q', '8', '-o', o, i] },
  { name: 'opus', ext: 'opus', tool: 'opusenc', args: (i, o) => ['--quiet', '--bitrate', '160', i, o] },
];

const root = mkdtempSync(path.join(tmpdir(), 'tts-critic-formats-'));
try {
  for (const side of ['ref', 'wav', ...CODECS.map((c) => c.name)]) mkdirSync(path.join(root, side));
  for (let i = 0; i < PAIRS; i++) {
    const seconds = SECONDS * (0.75 + (0.5 * i) / Math.max(1, PAIRS - 1));
    const ref = speechLike(seconds, RATE, i + 1, 0);
    const syn = speechLike(seconds, RATE, i + 1, 1);
    writeFileSync(path.join(root, 'ref', `p${i}.wav`), wav.encode([ref], { sampleRate: RATE, bitDepth: 16 }));
    const synWav = path.join(root, 'wav', `p${i}.wav`);
    writeFileSync(synWav, wav.encode([syn], { sampleRate: RATE, bitDepth: 16 }));
    for (const c of CODECS) execFileSync(c.tool, c.args(synWav, path.join(root, c.name, `p${i}.${c.ext}`)));
  }
  console.log(`${PAIRS} pairs of ${SECONDS * 0.75}-${SECONDS * 1.25} s at ${RATE} Hz mono; synthesized side encoded, references WAV\n`);

  for (const family of FAMILIES) {
    const scorer = await createScorer({ family });
    const scores = {};
    for (const side of ['wav', ...CODECS.map((c) => c.name)]) {
      scores[side] = new Map();
      for await (const r of scorer.scoreFolders(path.join(root, 'ref'), path.join(root, side))) {
        if (r.status !== 'ok') throw new Error(`${side}/${r.key}: ${r.error}`);
        scores[side].set(r.key, r.totals);
      }
    }
    await scorer.dispose();
    console.log(`family ${family}: change from the WAV scores (max over pairs; mean in brackets)`);
    console.log('  format   |Δfm|/fm              |Δmel_l1|             fm (WAV, mean)  mel_l1 (WAV, mean)');
    for (const c of CODECS) {
      const dFm = [];
      const dMel = [];
      for (const [key, w] of scores.wav) {
        const x = scores[c.name].get(key);
        dFm.push(Math.abs(x.fm - w.fm) / w.fm);
        dMel.push(Math.abs(x.melL1 - w.melL1));
      }
      const stat = (a) => `${Math.max(...a).toExponential(2)} (${(a.reduce((s, v) => s + v, 0) / a.length).toExponential(2)})`;
      const mean = (k) => [...scores.wav.values()].reduce((s, v) => s + v[k], 0) / scores.wav.size;
      console.log(`  ${c.name.padEnd(8)} ${stat(dFm).padEnd(21)} ${stat(dMel).padEnd(21)} ${mean('fm').toFixed(4).padEnd(15)} ${mean('melL1').toFixed(4)}`);
    }
    console.log();
  }

  console.log('decode speed: whole files read at 32 kHz through openAudio, best of 3 interleaved rounds (audio-seconds per second)');
  const sides = ['wav', ...CODECS.map((c) => c.name)];
  const speed = Object.fromEntries(sides.map((s) => [s, 0]));
  const kbps = {};
  for (let round = 0; round < 4; round++) {
    for (const side of sides) {
      const ext = side === 'wav' ? 'wav' : CODECS.find((c) => c.name === side).ext;
      let audio = 0;
      let bytes = 0;
      const t0 = performance.now();
      for (let i = 0; i < PAIRS; i++) {
        const file = path.join(root, side, `p${i}.${ext}`);
        const reader = await openAudio(file);
        await reader.read(32000, 0, reader.lengthAt(32000));
        audio += reader.info.frames / reader.info.sampleRate;
        bytes += statSync(file).size;
        await reader.close();
      }
      // Round 0 warms up (JIT, WebAssembly compilation) and is not counted.
      if (round > 0) speed[side] = Math.max(speed[side], audio / ((performance.now() - t0) / 1000));
      kbps[side] = bytes / audio / 125;
    }
  }
  for (const side of sides) {
    console.log(`  ${side.padEnd(8)} ${speed[side].toFixed(0).padStart(6)} s/s  (${(speed[side] / speed.wav).toFixed(2)} x WAV; ${kbps[side].toFixed(0)} kbit/s)`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
