/**
 * Banded DTW (src/align/dtw.ts) and mel_dtw (src/align/mel-dtw.ts) against a float64 reference
 * written here from the definition: the full n × m matrix, cells outside the band infinite, the
 * best path traced back and its weighted mean cost computed from the path itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BandedDtw, DtwBand, dtwDistance } from '../../src/align/dtw.js';
import { MEL_DTW_BAND_FRAMES, melDtwStreamed } from '../../src/align/mel-dtw.js';
import { openAudio } from '../../src/audio/index.js';
import { MEL_BINS, logMelSpectrogram, melL1, type SampleReader } from '../../src/audio/mel.js';
import { REPO_ROOT } from '../helpers/golden.js';
import { mulberry32 } from '../helpers/wav-corpus.js';

/** The reference: full-matrix DTW in float64 with the documented steps, weights and band. */
function referenceDtw(a: ArrayLike<number>, b: ArrayLike<number>, dims: number, halfWidth: number): { distance: number; pathMean: number } {
  const n = a.length / dims;
  const m = b.length / dims;
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  const width = Math.max(halfWidth, Math.ceil(slope) + 1);
  const inBand = (i: number, j: number) => n === 1 || Math.abs(j - i * slope) <= width + 1e-9;
  const cost = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < dims; k++) s += Math.abs(a[i * dims + k]! - b[j * dims + k]!);
    return s / dims;
  };
  const D = Array.from({ length: n }, () => new Float64Array(m).fill(Infinity));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (!inBand(i, j)) continue;
      const c = cost(i, j);
      if (i === 0 && j === 0) {
        D[0]![0] = 2 * c;
        continue;
      }
      D[i]![j] = Math.min(
        i > 0 && j > 0 ? D[i - 1]![j - 1]! + 2 * c : Infinity,
        i > 0 ? D[i - 1]![j]! + c : Infinity,
        j > 0 ? D[i]![j - 1]! + c : Infinity,
      );
    }
  }
  // Trace the path back and average its costs with the step weights: must give the same number.
  let i = n - 1;
  let j = m - 1;
  let weighted = 0;
  while (i > 0 || j > 0) {
    const c = cost(i, j);
    const diagonal = i > 0 && j > 0 ? D[i - 1]![j - 1]! + 2 * c : Infinity;
    const up = i > 0 ? D[i - 1]![j]! + c : Infinity;
    if (D[i]![j] === diagonal) {
      weighted += 2 * c;
      i--;
      j--;
    } else if (D[i]![j] === up) {
      weighted += c;
      i--;
    } else {
      weighted += c;
      j--;
    }
  }
  weighted += 2 * cost(0, 0);
  return { distance: D[n - 1]![m - 1]! / (n + m), pathMean: weighted / (n + m) };
}

function randomFrames(frames: number, dims: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: frames * dims }, () => 4 * random() - 2);
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

describe('banded DTW equals the float64 reference', () => {
  test.each([
    [40, 40, 5],
    [40, 52, 5],
    [60, 31, 4],
    [1, 17, 3],
    [17, 1, 3],
    [2, 2, 1],
    [80, 70, 100], // band wider than both: plain, unconstrained DTW
  ])('n=%i, m=%i, half-width %i', (n, m, width) => {
    const dims = 6;
    const a = randomFrames(n, dims, n * 100 + m);
    const b = randomFrames(m, dims, m * 7 + 3);
    const expected = referenceDtw(a, b, dims, width);
    expect(relative(expected.pathMean, expected.distance)).toBeLessThan(1e-12);
    expect(relative(dtwDistance(a, b, dims, width), expected.distance)).toBeLessThan(1e-12);
  });

  test('0 for identical sequences; the diagonal mean is an upper bound for equal lengths', () => {
    const a = randomFrames(50, 8, 1);
    const b = randomFrames(50, 8, 2);
    expect(dtwDistance(a, a, 8, 5)).toBe(0);
    let diagonal = 0;
    for (let i = 0; i < 50 * 8; i++) diagonal += Math.abs(a[i]! - b[i]!);
    expect(dtwDistance(a, b, 8, 5)).toBeLessThanOrEqual(diagonal / (50 * 8) + 1e-12);
  });

  test('a sequence and a time-stretched copy of it are close', () => {
    const dims = 4;
    const base = randomFrames(30, dims, 5);
    // Every frame twice: the tempo halved.
    const slow = new Float32Array(60 * dims);
    for (let i = 0; i < 60; i++) slow.set(base.subarray((i >> 1) * dims, ((i >> 1) + 1) * dims), i * dims);
    expect(dtwDistance(base, slow, dims, 3)).toBe(0);
  });

  test('the band follows the length ratio and keeps rows connected', () => {
    const band = new DtwBand(101, 201, 3);
    expect(band.row(0)).toEqual({ lo: 0, hi: 3 });
    expect(band.row(50)).toEqual({ lo: 97, hi: 103 });
    expect(band.row(100)).toEqual({ lo: 197, hi: 200 });
    const steep = new DtwBand(10, 1000, 2);
    for (let i = 1; i < 10; i++) expect(steep.row(i).lo).toBeLessThanOrEqual(steep.row(i - 1).hi + 1);
  });

  test('memory: each row needs only its band of the second sequence', () => {
    const dims = 3;
    const a = randomFrames(500, dims, 8);
    const b = randomFrames(520, dims, 9);
    const dtw = new BandedDtw(500, 520, dims, 4);
    for (let i = 0; i < 500; i++) {
      const { lo, hi } = dtw.row(i);
      expect(hi - lo).toBeLessThanOrEqual(2 * 4 + 1);
      dtw.addRow(a, i * dims, b.slice(lo * dims, (hi + 1) * dims), lo);
    }
    expect(dtw.distance()).toBeCloseTo(dtwDistance(a, b, dims, 4), 12);
    expect(() => new BandedDtw(5, 5, dims, 1).addRow(a, 0, b.slice(dims), 1)).toThrow(RangeError);
  });
});

async function load32k(file: string): Promise<Float32Array> {
  const reader = await openAudio(file);
  try {
    return await reader.read(32000, 0, reader.lengthAt(32000));
  } finally {
    await reader.close();
  }
}

const readerOf =
  (x: Float32Array): SampleReader =>
  async (start, length) =>
    x.slice(start, start + length);

describe('mel_dtw', () => {
  const fixtures = ['a.wav', 'b.wav', 'speaker2/c.wav'];

  test.each(fixtures)('fixtures %s: streamed equals the float64 reference on the whole log-mels within 1e-4', async (name) => {
    const ref = await load32k(path.join(REPO_ROOT, 'fixtures/ref', name));
    const syn = await load32k(path.join(REPO_ROOT, 'fixtures/syn', name));
    const expected = referenceDtw(logMelSpectrogram(ref).data, logMelSpectrogram(syn).data, MEL_BINS, MEL_DTW_BAND_FRAMES).distance;
    const streamed = await melDtwStreamed(readerOf(ref), ref.length, readerOf(syn), syn.length);
    expect(relative(streamed, expected)).toBeLessThan(1e-4);
    expect(await melDtwStreamed(readerOf(ref), ref.length, readerOf(ref), ref.length)).toBe(0);
  });

  test('long signals stream through a window of frames (several chunks, unequal lengths)', async () => {
    const random = mulberry32(4);
    const ref = Float32Array.from({ length: 32000 * 14 }, (_, i) => Math.sin(i / (9 + 4 * Math.sin(i / 20000))) * 0.3 + 0.05 * (random() - 0.5));
    const syn = ref.slice(3000, 32000 * 13);
    const reads: number[] = [];
    const counting: SampleReader = async (start, length) => {
      reads.push(length);
      return syn.slice(start, start + length);
    };
    const streamed = await melDtwStreamed(readerOf(ref), ref.length, counting, syn.length, 5);
    const whole = dtwDistance(logMelSpectrogram(ref).data, logMelSpectrogram(syn).data, MEL_BINS, 5);
    expect(relative(streamed, whole)).toBeLessThan(1e-12);
    expect(reads.length).toBeGreaterThan(2);
    expect(Math.max(...reads)).toBeLessThan(syn.length / 2);
  });

  describe('time-stretched copies (sox tempo, pitch kept)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-tempo-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test.each([
      ['a.wav', '0.9'],
      ['a.wav', '1.1'],
      ['speaker2/c.wav', '0.9'],
      ['speaker2/c.wav', '1.1'],
    ])('%s at tempo %s: mel_dtw is under half the plain mel_l1', async (name, tempo) => {
      const source = path.join(REPO_ROOT, 'fixtures/ref', name);
      const stretched = path.join(dir, `${name.replace('/', '-')}-${tempo}.wav`);
      execFileSync('sox', ['-q', source, '-c', '1', '-r', '32000', '-b', '16', stretched, 'tempo', tempo]);
      const ref = await load32k(source);
      const syn = await load32k(stretched);
      expect(Math.abs(syn.length / ref.length - 1 / Number(tempo))).toBeLessThan(0.02);
      const shorter = Math.min(ref.length, syn.length);
      const plain = melL1(ref.subarray(0, shorter), syn.subarray(0, shorter));
      const dtw = await melDtwStreamed(readerOf(ref), ref.length, readerOf(syn), syn.length);
      expect(dtw).toBeLessThan(0.5 * plain);
    });
  });
});
