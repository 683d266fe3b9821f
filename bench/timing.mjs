// The timing stages on a long pair: `--align offset`'s search and mel_dtw, each in its own
// process (so its peak RSS is its own), on a generated pair of MINUTES (default 30) of
// speech-like audio at 32 kHz, the synthesized file a perturbed copy delayed by 50 ms. Prints
// wall time, audio-seconds per second (of the pair's duration) and peak RSS, next to a plain
// decoding pass over both files as the reference. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { peakRssMb } from './peak-rss.mjs';
import { speechLike } from './speech.mjs';
import { pcm16WavHeader } from './wav-header.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = (module) => pathToFileURL(path.join(here, '..', 'dist', module)).href;
const RATE = 32000;
const MINUTES = Number(process.env.MINUTES ?? 30);
const DELAY = 1600; // 50 ms
const CHUNK_SECONDS = 30;

/** A 16-bit mono WAV written one 30 s chunk at a time; chunk k is speechLike(seed k, variant). */
async function writeLong(file, seconds, variant, delay) {
  const frames = seconds * RATE + delay;
  const handle = await open(file, 'w');
  try {
    await handle.write(pcm16WavHeader(RATE, 1, frames * 2));
    await handle.write(Buffer.alloc(delay * 2));
    for (let k = 0; k * CHUNK_SECONDS < seconds; k++) {
      const x = speechLike(Math.min(CHUNK_SECONDS, seconds - k * CHUNK_SECONDS), RATE, k + 1, variant);
      const b = Buffer.alloc(2 * x.length);
      for (let i = 0; i < x.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))), 2 * i);
      await handle.write(b);
    }
  } finally {
    await handle.close();
  }
}

const STAGES = {
  decode: `
    for (const r of [ref, syn]) for (let s = 0; s < r.lengthAt(32000); s += 1 << 20) await r.read(32000, s, Math.min(1 << 20, r.lengthAt(32000) - s));
    return 'both files read once at 32 kHz';`,
  align: `
    const { estimateOffset } = await import(${JSON.stringify(dist('align/offset.js'))});
    const source = (r) => ({ length: r.lengthAt(32000), read: (s, n) => r.read(32000, s, n) });
    const e = await estimateOffset(source(ref), source(syn), { sampleRate: 32000, maxOffset: 16000 });
    return 'offset ' + e.samples + ' samples (' + e.method + ', envelope correlation ' + e.envelopeCorrelation.toFixed(3) + ', waveform ' + e.waveformCorrelation.toFixed(3) + ')';`,
  mel_dtw: `
    const { melDtwStreamed } = await import(${JSON.stringify(dist('align/mel-dtw.js'))});
    const d = await melDtwStreamed((s, n) => ref.read(32000, s, n), ref.lengthAt(32000), (s, n) => syn.read(32000, s, n), syn.lengthAt(32000));
    return 'mel_dtw ' + d.toFixed(4);`,
};

function runStage(name, dir) {
  const code = `
    const { openAudio } = await import(${JSON.stringify(dist('audio/index.js'))});
    const ref = await openAudio(${JSON.stringify(path.join(dir, 'ref.wav'))});
    const syn = await openAudio(${JSON.stringify(path.join(dir, 'syn.wav'))});
    const started = performance.now();
    const what = await (async () => { ${STAGES[name]} })();
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ what, seconds }));`;
  // Peak RSS from the benchmarks' preload (its own VmHWM; ru_maxrss would count this parent too).
  const rssFile = path.join(dir, `${name}.rss`);
  const run = spawnSync(process.execPath, ['-r', path.join(here, 'peak-rss.cjs'), '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, TTS_CRITIC_BENCH_RSS: rssFile },
  });
  if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
  return { ...JSON.parse(run.stdout.trim().split('\n').at(-1)), rssMb: peakRssMb(readFileSync(rssFile, 'utf8')) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-timing-'));
try {
  const seconds = MINUTES * 60;
  await writeLong(path.join(dir, 'ref.wav'), seconds, 0, 0);
  await writeLong(path.join(dir, 'syn.wav'), seconds, 1, DELAY);
  console.log(`a ${MINUTES}-minute pair at 32 kHz, the synthesized file perturbed and delayed by ${DELAY} samples`);
  console.log(`${'stage'.padEnd(8)} ${'wall s'.padStart(8)} ${'audio-s/s'.padStart(10)} ${'peak RSS MB'.padStart(12)}  result`);
  for (const name of Object.keys(STAGES)) {
    const r = runStage(name, dir);
    console.log(`${name.padEnd(8)} ${r.seconds.toFixed(1).padStart(8)} ${(seconds / r.seconds).toFixed(0).padStart(10)} ${r.rssMb.toFixed(0).padStart(12)}  ${r.what}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
