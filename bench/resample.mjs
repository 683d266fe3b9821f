// Resampler and decoder throughput. Run after `npm run build`:
//   node bench/resample.mjs
// 1. resample 60 s of 44.1 kHz audio to 32 kHz in memory;
// 2. write a 10-minute 44.1 kHz stereo 16-bit WAV to a temp dir, then decode + mix + resample
//    it to 32 kHz the way the pipeline does (consecutive windows through openAudio).
// Prints audio-seconds processed per wall-clock second.
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAudio, resample } from '../dist/audio/index.js';
import { pcm16WavHeader } from './wav-header.mjs';

const IN_RATE = 44100;
const OUT_RATE = 32000;

function signal(n, offset = 0) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i + offset) / IN_RATE;
    x[i] = 0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 3130 * t) + 0.05 * Math.sin(2 * Math.PI * 17000 * t);
  }
  return x;
}

function report(label, audioSeconds, wallSeconds) {
  console.log(`${label}: ${audioSeconds} s of audio in ${wallSeconds.toFixed(3)} s = ${(audioSeconds / wallSeconds).toFixed(0)} audio-s/s`);
}

// 1. In-memory resampling.
{
  const seconds = 60;
  const x = signal(IN_RATE * seconds);
  resample(x.subarray(0, IN_RATE), IN_RATE, OUT_RATE); // build the table, warm up the JIT
  const t0 = performance.now();
  const y = resample(x, IN_RATE, OUT_RATE);
  const dt = (performance.now() - t0) / 1000;
  if (y.length !== OUT_RATE * seconds) throw new Error(`unexpected length ${y.length}`);
  report(`resample ${IN_RATE} -> ${OUT_RATE} Hz, mono, in memory`, seconds, dt);
}

// 2. Decode + mix + resample a 10-minute stereo file.
{
  const seconds = 600;
  const channels = 2;
  const dir = await mkdtemp(join(tmpdir(), 'tts-critic-bench-'));
  const path = join(dir, 'ten-minutes.wav');
  try {
    const frames = IN_RATE * seconds;
    const dataBytes = frames * channels * 2;
    const fh = await open(path, 'w');
    await fh.write(pcm16WavHeader(IN_RATE, channels, dataBytes));
    const block = IN_RATE * 10;
    for (let f = 0; f < frames; f += block) {
      const x = signal(Math.min(block, frames - f), f);
      const buf = Buffer.alloc(x.length * channels * 2);
      for (let i = 0; i < x.length; i++) {
        buf.writeInt16LE(Math.round(x[i] * 32767), 4 * i);
        buf.writeInt16LE(Math.round(-x[i] * 16000), 4 * i + 2);
      }
      await fh.write(buf);
    }
    await fh.close();

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const t0 = performance.now();
    const reader = await openAudio(path);
    const total = reader.lengthAt(OUT_RATE);
    const window = OUT_RATE * 10;
    let checksum = 0;
    for (let start = 0; start < total; start += window) {
      const y = await reader.read(OUT_RATE, start, Math.min(window, total - start));
      checksum += y[0];
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    await reader.close();
    const dt = (performance.now() - t0) / 1000;
    report(`decode + mix + resample a 10-minute ${IN_RATE} Hz stereo pcm16 file, 10 s windows`, seconds, dt);
    console.log(`  RSS grew by at most ${((peakRss - rssBefore) / 2 ** 20).toFixed(0)} MiB (file is ${(dataBytes / 2 ** 20).toFixed(0)} MiB); checksum ${checksum.toFixed(3)}`);

    const t1 = performance.now();
    const native = await openAudio(path);
    for (let start = 0; start < frames; start += IN_RATE * 10) await native.read(IN_RATE, start, Math.min(IN_RATE * 10, frames - start));
    await native.close();
    report('decode + mix only (native rate)', seconds, (performance.now() - t1) / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
