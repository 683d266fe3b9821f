/**
 * Long work yields to the event loop (src/util/yield.ts), so a signal handler or timer runs
 * within a fraction of a second in every phase, and work run `interruptible` stops at the next
 * yield once its signal is aborted. The real-process signal tests are test/e2e/interrupt.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFlac } from '../../src/audio/flac.js';
import { openAudioBuffer, resample } from '../../src/audio/index.js';
import { bufferSource } from '../../src/audio/source.js';
import { StreamedAudio } from '../../src/audio/streamed.js';
import { PairAudio } from '../../src/pipeline/pair-audio.js';
import { interruptible } from '../../src/util/yield.js';
import { constantFlac } from '../helpers/hostile-audio.js';

/** When a 20 ms timer set now actually fires, in ms after now (resolves once it has). */
function timerLag(): { fired: Promise<number> } {
  const start = performance.now();
  return { fired: new Promise((resolve) => setTimeout(() => resolve(performance.now() - start), 20)) };
}

it('reads served entirely from the decoded-block cache still let timers run', async () => {
  // 16 blocks of 65536 frames: all of it fits the cache.
  const bytes = constantFlac({ sampleRate: 16000, blockSize: 4096, frames: 256, value: 300 });
  const audio = new StreamedAudio(await openFlac(bufferSource(bytes), 0, []));
  try {
    const frames = audio.info.frames;
    await audio.readFrames(0, frames); // decode once: every later read is a cache hit
    const decoded = audio.stats.blocks;
    const lag = timerLag();
    let firedAt: number | null = null;
    void lag.fired.then((ms) => (firedAt = ms));
    const until = performance.now() + 800;
    let reads = 0;
    while (performance.now() < until) {
      await audio.readFrames(0, frames);
      reads++;
    }
    expect(audio.stats.blocks).toBe(decoded); // nothing was decoded again
    expect(reads).toBeGreaterThan(1);
    // Before the fix the timer waited for the whole loop (800 ms): awaiting settled promises
    // never reaches the macrotask queue.
    expect(firedAt).not.toBeNull();
    expect(firedAt!).toBeLessThan(300);
  } finally {
    await audio.close();
  }
});

describe('opening a long pair (offset search, mel_dtw over 10 minutes)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-phases-'));
    // The first FLAC decoder of a process loads and compiles libFLAC's wasm, and the first
    // resampler builds its filter table (a few hundred ms each, once): not what is measured here.
    await (await openAudioBuffer(constantFlac({ sampleRate: 16000, blockSize: 4096, frames: 2 }))).close();
    resample(new Float32Array(64), 16000, 32000);
    // 10 minutes at 16 kHz in 15 KB; the same file on both sides, so mel_dtw runs over all of it.
    const long = constantFlac({ sampleRate: 16000, blockSize: 4096, frames: 2344, value: 500 });
    writeFileSync(path.join(dir, 'ref.flac'), long);
    writeFileSync(path.join(dir, 'syn.flac'), long);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['early (the offset search)', 30],
    ['later (mel_dtw)', 700],
  ])('stops within a fraction of a second of an abort %s, with timers running all along', async (_phase, abortAfter) => {
    const controller = new AbortController();
    const lag = timerLag();
    const started = performance.now();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, abortAfter);
    const spec = { key: 'k', ref: path.join(dir, 'ref.flac'), syn: path.join(dir, 'syn.flac') };
    const opened = interruptible(controller.signal, () =>
      PairAudio.open(spec, { sampleRate: 16000, minimumLength: 2048, align: 'offset', maxOffset: 8000 }, () => undefined),
    );
    await expect(opened).rejects.toThrow(/interrupted/);
    const stoppedAfterAbort = performance.now() - abortedAt;
    expect(abortedAt).toBeGreaterThan(started);
    expect(stoppedAfterAbort).toBeLessThan(500);
    expect(await lag.fired).toBeLessThan(300);
  }, 30_000);
});
