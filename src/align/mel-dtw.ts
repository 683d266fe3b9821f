/**
 * mel_dtw: the GPT-SoVITS log-mel distance of mel_l1 (src/audio/mel.ts, 20 ms frames) along the
 * best dynamic-time-warping path between two whole files (dtw.ts: symmetric2 steps, a band of
 * ±1 s around the straight line from first to last frames).
 *
 * Both files stream: reference frames are computed a chunk at a time, and of the synthesized
 * file only the frames the current rows' band needs are held, so memory does not grow with
 * duration (a 30-minute pair holds a few hundred frames, not 2 × 46 MB of spectrogram).
 */
import { MEL_BINS, MEL_HOP, MEL_SAMPLE_RATE, logMelFrames, melFrameCount, type SampleReader } from '../audio/mel.js';
import { pause } from '../util/yield.js';
import { BandedDtw } from './dtw.js';

/** Half-width of the band in seconds: how far local timing may depart from a uniform tempo. */
export const MEL_DTW_BAND_SECONDS = 1;
/** The band's half-width in mel frames (50). */
export const MEL_DTW_BAND_FRAMES = Math.round((MEL_DTW_BAND_SECONDS * MEL_SAMPLE_RATE) / MEL_HOP);
/** Reference frames computed per step. */
const CHUNK_FRAMES = 256;

/** The synthesized file's frames [first, first + count), extended and trimmed as rows advance. */
class FrameWindow {
  first = 0;
  data = new Float32Array(0);

  constructor(
    private readonly read: SampleReader,
    private readonly length: number,
  ) {}

  get end(): number {
    return this.first + this.data.length / MEL_BINS;
  }

  /** Holds frames [from, to) afterwards (and nothing before `from`). */
  async cover(from: number, to: number): Promise<void> {
    const keepFrom = Math.max(from, this.first);
    const kept = keepFrom < this.end ? this.data.subarray((keepFrom - this.first) * MEL_BINS) : new Float32Array(0);
    const start = keepFrom < this.end ? this.end : from;
    const fresh = to > start ? await logMelFrames(this.read, this.length, start, to) : new Float32Array(0);
    const data = new Float32Array(kept.length + fresh.length);
    data.set(kept);
    data.set(fresh, kept.length);
    this.first = keepFrom < this.end ? keepFrom : from;
    this.data = data;
  }
}

/**
 * mel_dtw of two 32 kHz signals of `refLength` and `synLength` samples (each at least
 * MEL_MIN_SAMPLES), read piecewise through `ref` and `syn`.
 */
export async function melDtwStreamed(
  ref: SampleReader,
  refLength: number,
  syn: SampleReader,
  synLength: number,
  halfWidth = MEL_DTW_BAND_FRAMES,
): Promise<number> {
  const n = melFrameCount(refLength);
  const m = melFrameCount(synLength);
  const dtw = new BandedDtw(n, m, MEL_BINS, halfWidth);
  const window = new FrameWindow(syn, synLength);
  for (let i0 = 0; i0 < n; i0 += CHUNK_FRAMES) {
    const i1 = Math.min(n, i0 + CHUNK_FRAMES);
    const rows = await logMelFrames(ref, refLength, i0, i1);
    await window.cover(dtw.row(i0).lo, dtw.row(i1 - 1).hi + 1);
    for (let i = i0; i < i1; i++) dtw.addRow(rows, (i - i0) * MEL_BINS, window.data, window.first);
    await pause();
  }
  return dtw.distance();
}
