/**
 * The constant-offset search (src/align/offset.ts) as a pure function on in-memory signals:
 * exact recovery on identical content in both directions, stability on phase-scrambled
 * (vocoder-like) copies, and "no clear offset" on pairs that cannot be aligned.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FRAME_BLOCKS, blockSize, logEnergyEnvelope } from '../../src/align/envelope.js';
import { alignedOverlap, estimateOffset, type OffsetEstimate } from '../../src/align/offset.js';
import { arraySource, type SignalSource } from '../../src/align/signal.js';
import { openAudio } from '../../src/audio/index.js';
import { GOLDEN_ROOT, REPO_ROOT } from '../helpers/golden.js';
import { delayed, phaseScrambled, speechLike } from '../helpers/speech.js';
import { mulberry32 } from '../helpers/wav-corpus.js';

const RATE = 32000;
const HALF_SECOND = RATE / 2;

async function load(file: string, rate = RATE): Promise<Float32Array> {
  const reader = await openAudio(file);
  try {
    return await reader.read(rate, 0, reader.lengthAt(rate));
  } finally {
    await reader.close();
  }
}

function estimate(ref: Float32Array, syn: Float32Array, maxOffset = HALF_SECOND, rate = RATE): Promise<OffsetEstimate> {
  return estimateOffset(arraySource(ref), arraySource(syn), { sampleRate: rate, maxOffset });
}

/** 1 to 10,000 samples: small ones, block multiples and their neighbours (32 samples at 32 kHz), large ones. */
const OFFSETS = [1, 2, 3, 5, 8, 13, 31, 32, 33, 63, 64, 65, 100, 319, 320, 321, 640, 999, 1000, 1601, 2047, 3333, 4096, 5000, 7777, 9999, 10000];

describe('offsets of identical content are recovered exactly', () => {
  test('speech-like: syn delayed (longer, or cut to the same length) and advanced, 1 to 10,000 samples', async () => {
    const x = speechLike(3, RATE, 11);
    const misses: string[] = [];
    for (const d of OFFSETS) {
      const cases: [string, Float32Array, Float32Array, number][] = [
        ['delayed', x, delayed(x, d), d],
        ['delayed, same length', x, delayed(x, d).subarray(0, x.length), d],
        ['advanced', x, x.subarray(d), -d],
        ['advanced: ref delayed', delayed(x, d), x, -d],
      ];
      for (const [how, ref, syn, expected] of cases) {
        const found = await estimate(ref, syn);
        if (found.samples !== expected || found.method !== 'waveform') misses.push(`${how} ${d}: ${JSON.stringify(found)}`);
      }
    }
    expect(misses).toEqual([]);
  });

  // The demo fixtures repeat one syllable shape at a fixed rate: their envelopes alone are
  // ambiguous (peaks every 250 ms), so this is also the test of the waveform stage's tie-break.
  // c is 44.1 kHz stereo, read at 32 kHz.
  test.each(['a.wav', 'speaker2/c.wav'])('fixtures/ref/%s, delayed and advanced', async (name) => {
    const x = await load(path.join(REPO_ROOT, 'fixtures/ref', name));
    const misses: string[] = [];
    for (const d of [1, 33, 320, 1000, 4096, 7777, 10000]) {
      const forward = await estimate(x, delayed(x, d));
      const backward = await estimate(x, x.subarray(d));
      if (forward.samples !== d) misses.push(`delayed ${d}: ${JSON.stringify(forward)}`);
      if (backward.samples !== -d) misses.push(`advanced ${d}: ${JSON.stringify(backward)}`);
    }
    expect(misses).toEqual([]);
  });

  test('at 22.05 kHz (1 ms blocks of 22 samples) too', async () => {
    const rate = 22050;
    const x = speechLike(2.5, rate, 5);
    for (const d of [1, 21, 22, 23, 750, 10000]) {
      expect((await estimate(x, delayed(x, d), rate / 2, rate)).samples).toBe(d);
      expect((await estimate(x, x.subarray(d), rate / 2, rate)).samples).toBe(-d);
    }
  });

  test('a distorted copy (noise, low-pass) is found to the sample as long as its waveform still correlates', async () => {
    const x = speechLike(3, RATE, 12);
    const random = mulberry32(3);
    let previous = 0;
    const syn = x.map((v) => {
      previous = 0.6 * previous + 0.4 * v;
      return previous + 0.02 * (random() - 0.5);
    });
    for (const d of [0, 7, 321, 9000]) {
      const found = await estimate(x, delayed(syn, d));
      // A one-pole low-pass delays by a fraction of a sample: the peak stays on d or one after.
      expect(found.method).toBe('waveform');
      expect(found.samples! - d).toBeGreaterThanOrEqual(0);
      expect(found.samples! - d).toBeLessThanOrEqual(1);
    }
  });
});

describe('vocoder-like outputs: phase differs from the reference', () => {
  const x = speechLike(4, RATE, 21);
  const block = blockSize(RATE);

  test('same envelope, unrelated waveform: the envelope estimate lands within a fraction of a block', async () => {
    // Random signs keep every sample's energy, so the envelope is the reference's exactly,
    // while the waveforms do not correlate at all.
    const random = mulberry32(5);
    const flipped = x.map((v) => (random() < 0.5 ? -v : v));
    for (const d of [100, 750, 4000, 10000]) {
      const found = await estimate(x, delayed(flipped, d));
      expect(found).toMatchObject({ method: 'envelope', problem: null });
      expect(Math.abs(found.samples! - d)).toBeLessThanOrEqual(block / 4);
    }
    // Within one block of zero the envelope cannot tell a shift from none: no shift.
    for (const d of [0, 10, 25]) expect(await estimate(x, delayed(flipped, d))).toMatchObject({ samples: 0, method: 'envelope' });
  });

  test('a waveform match that only part of the audio supports is not trusted', async () => {
    // First half identical, second half resynthesised with random phase: together the
    // waveforms still correlate at about 0.5 at the true lag, but the second half on its own
    // does not peak there.
    const half = x.length >> 1;
    const mixed = Float32Array.from(x);
    mixed.set(phaseScrambled(x, 8).subarray(half), half);
    const found = await estimate(x, delayed(mixed, 500));
    expect(found).toMatchObject({ method: 'envelope', problem: null });
    expect(found.waveformCorrelation).toBeGreaterThan(0.4);
    // Resynthesis moves half the envelope a little (see below): within half a block.
    expect(Math.abs(found.samples! - 500)).toBeLessThanOrEqual(block / 2);
  });

  test('short-time spectra with random phase: the waveform stage is not trusted, the estimate is stable across delays', async () => {
    const scrambled = phaseScrambled(x, 7);
    const errors: number[] = [];
    for (const d of [0, 137, 750, 4000, 10000]) {
      const found = await estimate(x, delayed(scrambled, d));
      expect(found).toMatchObject({ method: 'envelope', problem: null });
      expect(found.envelopeCorrelation).toBeGreaterThan(0.9);
      errors.push(found.samples! - d);
    }
    // Resynthesis spreads each onset over its 16 ms frames, so the envelope itself moves by a
    // millisecond or two; what matters is that the estimate follows the delay.
    const moving = errors.slice(1);
    expect(Math.max(...moving) - Math.min(...moving)).toBeLessThanOrEqual(block);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(3 * block);
  });
});

describe('pairs that cannot be aligned', () => {
  const x = speechLike(3, RATE, 31);

  test('another utterance, white noise, silence, a steady tone: no offset, and the reason', async () => {
    const random = mulberry32(9);
    const noise = Float32Array.from({ length: x.length }, () => 0.3 * (random() - 0.5));
    const tone = Float32Array.from({ length: x.length }, (_, i) => 0.5 * Math.sin(i / 5));
    const other = await estimate(x, speechLike(3, RATE, 32));
    expect(other).toMatchObject({ samples: null, method: null });
    expect(other.problem).toMatch(/^no clear offset within ±500 ms \(envelope correlation -?0\.\d\d\)$/);
    expect((await estimate(x, noise)).problem).toMatch(/^no clear offset: the synthesized file keeps a steady level/);
    expect((await estimate(x, new Float32Array(x.length))).problem).toBe(
      'no clear offset: the synthesized file keeps a steady level (it varies by 0.0 dB), nothing to align on',
    );
    expect((await estimate(tone, x)).problem).toMatch(/^no clear offset: the reference keeps a steady level \(it varies by 0\.\d dB\)/);
    // Stationary noise: its envelope wanders by chance, not enough to align on.
    expect((await estimate(noise, noise.map((v) => v * 0.5))).problem).toMatch(/keeps a steady level/);
  });

  test('an offset beyond the search range is not guessed; a wider range finds it', async () => {
    const d = Math.round(0.6 * RATE);
    const narrow = await estimate(x, delayed(x, d));
    expect(narrow.samples).toBeNull();
    expect(narrow.problem).toMatch(/edge of the ±500 ms search range|no clear offset/);
    expect((await estimate(x, delayed(x, d), RATE)).samples).toBe(d);
  });

  test('too short to align', async () => {
    const short = x.subarray(0, Math.round(0.08 * RATE));
    expect((await estimate(short, short)).problem).toMatch(/^too short to find an offset/);
  });
});

test('the golden pairs (scored unaligned) need no offset: the aligner finds 0 on every one', async () => {
  const cases = readdirSync(GOLDEN_ROOT).filter((name) => !name.includes('.'));
  expect(cases.length).toBeGreaterThanOrEqual(8);
  for (const name of cases) {
    const { sample_rate: rate } = JSON.parse(readFileSync(path.join(GOLDEN_ROOT, name, 'expected.json'), 'utf8')) as { sample_rate: number };
    const ref = await load(path.join(GOLDEN_ROOT, name, 'ref.wav'), rate);
    const syn = await load(path.join(GOLDEN_ROOT, name, 'syn.wav'), rate);
    expect([name, (await estimate(ref, syn, Math.round(rate / 2), rate)).samples]).toEqual([name, 0]);
  }
});

describe('log-energy envelope', () => {
  test('streams in bounded reads and equals the direct definition', async () => {
    const x = speechLike(10, RATE, 41);
    const reads: number[] = [];
    const source: SignalSource = {
      length: x.length,
      read: async (start, length) => {
        reads.push(length);
        return x.slice(start, start + length);
      },
    };
    const block = blockSize(RATE);
    const envelope = await logEnergyEnvelope(source, block);
    expect(Math.max(...reads)).toBeLessThanOrEqual(4096 * block);
    expect(reads.length).toBeGreaterThan(1);
    const blocks = Math.floor(x.length / block);
    expect(envelope.length).toBe(blocks - FRAME_BLOCKS + 1);
    const energies = Array.from({ length: envelope.length }, (_, k) => {
      let e = 0;
      for (let i = k * block; i < (k + FRAME_BLOCKS) * block; i++) e += x[i]! * x[i]!;
      return e;
    });
    const floor = (1e-5 * energies.reduce((a, b) => a + b, 0)) / energies.length;
    for (const k of [0, 1, 999, 5000, envelope.length - 1]) expect(envelope[k]).toBeCloseTo(Math.log(energies[k]! + floor), 4);
  });

  test('blocks are about 1 ms', () => {
    expect([blockSize(32000), blockSize(22050), blockSize(44100), blockSize(16000)]).toEqual([32, 22, 44, 16]);
  });
});

test('alignedOverlap: the stretch both signals cover once the offset is removed', () => {
  expect(alignedOverlap(100, 100, 0)).toEqual({ refStart: 0, synStart: 0, length: 100 });
  expect(alignedOverlap(100, 120, 20)).toEqual({ refStart: 0, synStart: 20, length: 100 });
  expect(alignedOverlap(100, 90, -10)).toEqual({ refStart: 10, synStart: 0, length: 90 });
  expect(alignedOverlap(100, 100, 30)).toEqual({ refStart: 0, synStart: 30, length: 70 });
  expect(alignedOverlap(10, 10, 50)).toEqual({ refStart: 0, synStart: 50, length: 0 });
});
