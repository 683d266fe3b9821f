/**
 * One constant delay between a reference and a synthesized recording, to whole samples.
 *
 * Three stages, each searching a smaller range more finely:
 *  1. Envelope, coarse: Pearson correlation of the two log-energy envelopes (envelope.ts) at
 *     every 10 ms of lag over the whole search range (every block for short files). This
 *     stage decides whether there is a clear offset at all: the files must follow each other
 *     (correlation >= 0.7), change level at all, and the best match must not lie at the edge
 *     of the range.
 *  2. Envelope, fine: the same correlation at every block (about 1 ms) around each peak near
 *     the best one, and a parabola through the peak and its neighbours for a fraction of a
 *     block. Peaks that explain the envelopes nearly as well as the best (periodic content: a
 *     steady syllable rate, a repeated word) stay candidates.
 *  3. Waveform: normalised cross-correlation of the samples at every lag within two blocks of
 *     each candidate. A clear peak (high, well above any other peak in that small range, and
 *     found by both halves of the audio on their own) makes the offset exact to the sample and picks between candidates. Vocoders do not keep
 *     the reference's phase and their waveforms correlate weakly; then a single candidate's
 *     envelope estimate stands, rounded to whole samples (within one block of zero it counts as
 *     zero: the envelope cannot resolve less), and several candidates mean "no clear offset".
 *
 * Sign: a positive offset means the synthesized file lags the reference (its content at
 * t + offset matches the reference at t).
 *
 * Time is linear in duration with small constants (about 100 + 21 correlations of the
 * envelopes per candidate, and at most 4 s of waveform correlated at 129 lags per candidate);
 * memory is the two envelopes (4 bytes per millisecond each).
 */
import { FRAME_BLOCKS, blockSize, logEnergyEnvelope } from './envelope.js';
import type { SignalSource } from './signal.js';

export interface OffsetSearchOptions {
  /** Rate of both sources, Hz. */
  readonly sampleRate: number;
  /** Largest |offset| searched, in samples. */
  readonly maxOffset: number;
}

export type OffsetMethod = 'waveform' | 'envelope';

export interface OffsetEstimate {
  /** Samples the synthesized signal lags the reference (negative: it leads); null when no clear offset was found. */
  readonly samples: number | null;
  /** Which stage gave the last digit (null when no offset was found). */
  readonly method: OffsetMethod | null;
  /** Pearson correlation of the envelopes at the best lag (NaN when it could not be computed). */
  readonly envelopeCorrelation: number;
  /** Normalised waveform correlation at the best lag of stage 3 (NaN when that stage did not run). */
  readonly waveformCorrelation: number;
  /** Why no clear offset was found, in plain words; null when one was. */
  readonly problem: string | null;
}

/** Thresholds of the stages: data, so that they are read and tuned in one place. */
export const OFFSET_THRESHOLDS = {
  /** The envelopes must overlap by at least this much at every lag tried (and by half the shorter one). */
  minOverlapSeconds: 0.1,
  /** Coarse lag grid, in blocks (10 ms). */
  coarseStep: 10,
  /** Short signals are searched at every block directly when this few correlation terms suffice. */
  directSearchTerms: 500_000,
  /**
   * Stage 1 fails below this envelope correlation: the two files do not follow each other.
   * Aligned recordings of the same speech reach 0.97 to 0.998 (vocoder outputs of LJSpeech);
   * a 20 ms envelope of a short file has few independent values, so chance alone reaches 0.5.
   */
  minEnvelopeCorrelation: 0.7,
  /**
   * Stage 1 fails when either envelope's standard deviation is below this (dB of frame energy):
   * a steady tone or noise has no timing to align on (speech: 6 to 15 dB; a tone with noise: 0.1).
   */
  minLevelDeviationDb: 1.5,
  /**
   * Another peak of the envelope correlation this far (seconds) from the best one makes the
   * match ambiguous (a steady syllable rate, a repeated word) when it explains the envelopes
   * nearly as well: its residual 1 − r is less than `rivalResidualRatio` times the best one's.
   * Stage 3 must then pick one clearly, or no offset is reported. (Measured: aligned LJSpeech
   * vocoder outputs 0.99 against rivals of 0.12 or less; the demo fixtures, whose syllables
   * repeat every 250 ms, 0.94 against 0.90.)
   */
  rivalDistanceSeconds: 0.05,
  rivalResidualRatio: 2,
  /** At most this many of those peaks are checked by stage 3. */
  maxCandidates: 4,
  /** Peaks of the coarse curve within this of its best are refined before they are compared ... */
  coarseMargin: 0.3,
  /** ... at most this many. */
  maxRefined: 6,
  /** Stage 3 searches this many blocks either side of the envelope estimate. */
  waveformBlocks: 2,
  /** Stage 3 correlates at most this much audio (pieces spread over the overlap). */
  waveformSeconds: 4,
  waveformPieces: 16,
  /** Stage 3 is trusted when its peak correlation is at least this ... */
  minWaveformCorrelation: 0.4,
  /** ... and every other peak in its range stays below this fraction of it. */
  waveformRivalRatio: 0.9,
} as const;

/** Standard deviation of a log-energy envelope, in dB (the envelope is in nepers of energy). */
function levelDeviationDb(x: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mean) ** 2;
  return (10 / Math.LN10) * Math.sqrt(v / x.length);
}

/** Frames of a and b that pair up at `lag` (b[t + lag] with a[t]): t in [start, end). */
function overlap(a: Float32Array, b: Float32Array, lag: number): { start: number; end: number } {
  const start = Math.max(0, -lag);
  const end = Math.min(a.length, b.length - lag);
  return { start, end: Math.max(start, end) };
}

/** Pearson correlation of a[t] and b[t + lag] over the frames both have. */
export function envelopeCorrelation(a: Float32Array, b: Float32Array, lag: number): number {
  const { start, end } = overlap(a, b, lag);
  const n = end - start;
  if (n < 2) return Number.NaN;
  // One pass of raw sums: envelope values are logs of magnitude ~10, far from float64's limits.
  let sa = 0;
  let sb = 0;
  let aa = 0;
  let bb = 0;
  let ab = 0;
  for (let t = start; t < end; t++) {
    const x = a[t]!;
    const y = b[t + lag]!;
    sa += x;
    sb += y;
    aa += x * x;
    bb += y * y;
    ab += x * y;
  }
  const va = aa - (sa * sa) / n;
  const vb = bb - (sb * sb) / n;
  return va > 1e-9 * aa && vb > 1e-9 * bb ? (ab - (sa * sb) / n) / Math.sqrt(va * vb) : Number.NaN;
}

interface Curve {
  readonly lags: number[];
  readonly values: number[];
}

function correlate(a: Float32Array, b: Float32Array, lags: number[]): Curve {
  return { lags, values: lags.map((lag) => envelopeCorrelation(a, b, lag)) };
}

function argmax(values: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!) && (best < 0 || values[i]! > values[best]!)) best = i;
  return best;
}

/** Indices of the local maxima of a curve (plateaus count once, at their first point). */
function localMaxima(values: readonly number[]): number[] {
  const peaks: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const left = i > 0 ? values[i - 1]! : -Infinity;
    let j = i + 1;
    while (j < values.length && values[j] === v) j++;
    const right = j < values.length ? values[j]! : -Infinity;
    if (!(v > left || Number.isNaN(left)) || !(v > right || Number.isNaN(right))) continue;
    peaks.push(i);
  }
  return peaks;
}

/** Vertex of the parabola through (−1, l), (0, c), (1, r): the fractional position of a peak. */
function parabolicPeak(l: number, c: number, r: number): number {
  const denominator = l - 2 * c + r;
  if (!(denominator < 0)) return 0;
  const shift = (0.5 * (l - r)) / denominator;
  return Math.max(-0.5, Math.min(0.5, shift));
}

/** A lag the envelopes support: in blocks, with a fraction from the parabola through its peak. */
export interface EnvelopeCandidate {
  readonly blocks: number;
  readonly correlation: number;
}

export type EnvelopeSearch =
  | { readonly candidates: readonly EnvelopeCandidate[]; readonly problem: null }
  | { readonly candidates: readonly []; readonly problem: string; readonly correlation: number };

function failed(problem: string, correlation = Number.NaN): EnvelopeSearch {
  return { candidates: [], problem, correlation };
}

/**
 * Stages 1 and 2 on two envelopes (one value per block): the best lag, refined to a fraction of
 * a block, and, when other peaks come close to it (periodic content: a syllable rate, a
 * repeated word), those peaks too, best first, for stage 3 to decide between. `maxLag` is in
 * blocks.
 */
export function envelopeLag(a: Float32Array, b: Float32Array, maxLag: number, blocksPerSecond: number): EnvelopeSearch {
  const T = OFFSET_THRESHOLDS;
  const msOf = (blocks: number) => Math.round((1000 * blocks) / blocksPerSecond);
  const rangeText = `±${msOf(maxLag)} ms`;
  const shorter = Math.min(a.length, b.length);
  const minFrames = Math.ceil(T.minOverlapSeconds * blocksPerSecond);
  if (shorter < minFrames) return failed(`too short to find an offset (under ${msOf(minFrames + FRAME_BLOCKS - 1)} ms)`);
  for (const [envelope, which] of [
    [a, 'the reference'],
    [b, 'the synthesized file'],
  ] as const) {
    const deviation = levelDeviationDb(envelope);
    if (!(deviation >= T.minLevelDeviationDb)) {
      return failed(`no clear offset: ${which} keeps a steady level (it varies by ${deviation.toFixed(1)} dB), nothing to align on`);
    }
  }

  // Lags at which the envelopes overlap by at least half the shorter one.
  const minOverlap = Math.max(minFrames, Math.ceil(shorter / 2));
  const overlapAt = (lag: number) => overlap(a, b, lag).end - overlap(a, b, lag).start;
  let low = -maxLag;
  let high = maxLag;
  while (low <= high && overlapAt(low) < minOverlap) low++;
  while (high >= low && overlapAt(high) < minOverlap) high--;
  if (low > high) return failed('the files overlap too little at every offset searched');

  const step = shorter * (high - low + 1) <= T.directSearchTerms ? 1 : T.coarseStep;
  const lags: number[] = [];
  for (let lag = Math.ceil(low / step) * step; lag <= high; lag += step) lags.push(lag);
  const coarse = correlate(a, b, lags);
  const coarseBest = argmax(coarse.values);
  if (coarseBest < 0) return failed('the envelopes could not be compared');
  // The grid can straddle a sharp peak and underrate it, so every peak near the best one is
  // refined (stage 2) before peaks are compared.
  const peaks = localMaxima(coarse.values)
    .filter((i) => coarse.values[i]! >= coarse.values[coarseBest]! - T.coarseMargin)
    .sort((x, y) => coarse.values[y]! - coarse.values[x]!)
    .slice(0, T.maxRefined);
  const refined: EnvelopeCandidate[] = [];
  for (const peak of peaks) {
    const candidate = refine(a, b, lags[peak]!, step, low, high);
    if (!refined.some((c) => Math.abs(c.blocks - candidate.blocks) < 1)) refined.push(candidate);
  }
  refined.sort((x, y) => y.correlation - x.correlation);
  const best = refined[0]!;
  if (!(best.correlation >= T.minEnvelopeCorrelation)) {
    return failed(`no clear offset within ${rangeText} (envelope correlation ${best.correlation.toFixed(2)})`, best.correlation);
  }
  const bestLag = Math.round(best.blocks);
  if (bestLag <= low || bestLag >= high) {
    return failed(
      Math.abs(bestLag) >= maxLag
        ? `no clear offset: the best match is at the edge of the ${rangeText} search range`
        : `no clear offset: the best match is at ${msOf(bestLag)} ms, where the files barely overlap`,
      best.correlation,
    );
  }
  const rivalDistance = T.rivalDistanceSeconds * blocksPerSecond;
  const rivals = refined.filter(
    (c) => Math.abs(c.blocks - best.blocks) >= rivalDistance && 1 - c.correlation < T.rivalResidualRatio * (1 - best.correlation),
  );
  return { candidates: [best, ...rivals].slice(0, T.maxCandidates), problem: null };
}

/**
 * Stage 2: the envelope correlation at every block within `step` of `center`, following the
 * curve uphill while its peak lies at the edge of that window (it cannot leave [low, high]), and
 * a parabola through the peak and its neighbours.
 */
function refine(a: Float32Array, b: Float32Array, center: number, step: number, low: number, high: number): EnvelopeCandidate {
  let curve: Curve = { lags: [], values: [] };
  for (let tries = 0; tries < 16; tries++) {
    const window: number[] = [];
    for (let lag = Math.max(low, center - step); lag <= Math.min(high, center + step); lag++) window.push(lag);
    curve = correlate(a, b, window);
    const i = argmax(curve.values);
    if ((i > 0 && i < window.length - 1) || window[i] === low || window[i] === high) break;
    center = window[i]!;
  }
  const i = argmax(curve.values);
  const l = curve.values[i - 1];
  const r = curve.values[i + 1];
  const fraction = l !== undefined && r !== undefined && !Number.isNaN(l) && !Number.isNaN(r) ? parabolicPeak(l, curve.values[i]!, r) : 0;
  return { blocks: curve.lags[i]! + fraction, correlation: curve.values[i]! };
}

interface WaveformMatch {
  readonly lag: number;
  readonly correlation: number;
  /** A peak inside the range, high enough and well above any other peak there. */
  readonly clear: boolean;
}

/**
 * Adds Σ x[t]·y[t+k] and Σ y[t+k]² over t < n to cross[k] and synEnergy[k] for every lag k,
 * and returns Σ x[t]². A plain synchronous loop, so that it is compiled early (it is the hot
 * part of stage 3).
 */
function accumulateCorrelation(x: Float32Array, y: Float32Array, n: number, cross: Float64Array, synEnergy: Float64Array): number {
  let refEnergy = 0;
  let energy = 0;
  for (let t = 0; t < n; t++) {
    refEnergy += x[t]! * x[t]!;
    energy += y[t]! * y[t]!;
  }
  for (let k = 0; k < cross.length; k++) {
    if (k > 0) energy += y[n + k - 1]! * y[n + k - 1]! - y[k - 1]! * y[k - 1]!;
    synEnergy[k]! += energy;
    let c = 0;
    for (let t = 0; t < n; t++) c += x[t]! * y[t + k]!;
    cross[k]! += c;
  }
  return refEnergy;
}

/** Normalised correlation at each lag from its sums (NaN where a side is silent). */
function normalised(cross: Float64Array, synEnergy: Float64Array, refEnergy: number): number[] {
  return Array.from(cross, (c, k) => (refEnergy > 0 && synEnergy[k]! > 0 ? c / Math.sqrt(refEnergy * synEnergy[k]!) : Number.NaN));
}

/**
 * Stage 3: normalised waveform correlation at lags [center − reach, center + reach], over up to
 * `waveformSeconds` of audio in pieces spread over the overlap. The pieces are split in two
 * alternating halves that are correlated separately as well: a clear peak must be found by
 * each half on its own (within a sample), which a chance peak of two unrelated phases is not.
 */
async function waveformLag(
  ref: SignalSource,
  syn: SignalSource,
  center: number,
  reach: number,
  rate: number,
): Promise<WaveformMatch | null> {
  const T = OFFSET_THRESHOLDS;
  // Reference samples t whose partners syn[t + lag] exist for every lag in the range.
  const t0 = Math.max(0, reach - center);
  const t1 = Math.min(ref.length, syn.length - center - reach);
  const span = t1 - t0;
  if (span < Math.ceil(T.minOverlapSeconds * rate)) return null;
  const budget = Math.round(T.waveformSeconds * rate);
  const pieces = span <= budget ? 2 : T.waveformPieces;
  const pieceLength = Math.floor(Math.min(span, budget) / pieces);
  const lags = 2 * reach + 1;
  const halves = [0, 1].map(() => ({ cross: new Float64Array(lags), synEnergy: new Float64Array(lags), refEnergy: 0 }));
  for (let p = 0; p < pieces; p++) {
    const half = halves[p % 2]!;
    const start = t0 + (span <= budget ? p * pieceLength : Math.floor(((span - pieceLength) * p) / (pieces - 1)));
    const x = await ref.read(start, pieceLength);
    const y = await syn.read(start + center - reach, pieceLength + 2 * reach);
    half.refEnergy += accumulateCorrelation(x, y, pieceLength, half.cross, half.synEnergy);
  }
  const [a, b] = halves as [(typeof halves)[number], (typeof halves)[number]];
  const values = normalised(
    a.cross.map((c, k) => c + b.cross[k]!),
    a.synEnergy.map((e, k) => e + b.synEnergy[k]!),
    a.refEnergy + b.refEnergy,
  );
  const best = argmax(values);
  if (best < 0) return null;
  const peak = values[best]!;
  const agree = halves.every((h) => Math.abs(argmax(normalised(h.cross, h.synEnergy, h.refEnergy)) - best) <= 1);
  const clear =
    best > 0 &&
    best < lags - 1 && // a peak inside the range, not a slope running out of it
    peak >= T.minWaveformCorrelation &&
    agree &&
    localMaxima(values).every((other) => other === best || values[other]! < T.waveformRivalRatio * peak);
  return { lag: center - reach + best, correlation: peak, clear };
}

/**
 * Estimates the constant delay of `syn` relative to `ref` (both at `options.sampleRate`),
 * searching |offset| <= options.maxOffset samples. Reads each source once from start to end
 * (the envelopes), then at most 4 s of each again per candidate (stage 3).
 */
export async function estimateOffset(ref: SignalSource, syn: SignalSource, options: OffsetSearchOptions): Promise<OffsetEstimate> {
  const rate = options.sampleRate;
  const block = blockSize(rate);
  const a = await logEnergyEnvelope(ref, block);
  const b = await logEnergyEnvelope(syn, block);
  const search = envelopeLag(a, b, Math.floor(options.maxOffset / block), rate / block);
  if (search.problem !== null) {
    return { samples: null, method: null, envelopeCorrelation: search.correlation, waveformCorrelation: Number.NaN, problem: search.problem };
  }
  const reach = OFFSET_THRESHOLDS.waveformBlocks * block;
  const checked: { candidate: EnvelopeCandidate; estimate: number; wave: WaveformMatch | null }[] = [];
  for (const candidate of search.candidates) {
    const estimate = Math.round(candidate.blocks * block);
    checked.push({ candidate, estimate, wave: await waveformLag(ref, syn, estimate, reach, rate) });
  }
  // A clear waveform peak settles it to the sample, and picks between envelope candidates when
  // one of them has a clearly better waveform match than the others.
  const clear = checked
    .filter((c) => c.wave?.clear && Math.abs(c.wave.lag) <= options.maxOffset)
    .sort((x, y) => y.wave!.correlation - x.wave!.correlation);
  const winner = clear[0];
  if (winner && (clear.length === 1 || clear[1]!.wave!.correlation < OFFSET_THRESHOLDS.waveformRivalRatio * winner.wave!.correlation)) {
    return {
      samples: winner.wave!.lag,
      method: 'waveform',
      envelopeCorrelation: winner.candidate.correlation,
      waveformCorrelation: winner.wave!.correlation,
      problem: null,
    };
  }
  const first = checked[0]!;
  if (checked.length > 1) {
    const at = (c: (typeof checked)[number]) => `${c.estimate > 0 ? '+' : ''}${Math.round((1000 * c.estimate) / rate)} ms`;
    const list = checked.map((c) => `${at(c)} (${c.candidate.correlation.toFixed(2)})`);
    return {
      samples: null,
      method: null,
      envelopeCorrelation: first.candidate.correlation,
      waveformCorrelation: Number.NaN,
      problem: `no clear offset: the envelopes match about as well at ${list.slice(0, -1).join(', ')} and ${list.at(-1)}`,
    };
  }
  const { candidate, estimate, wave } = first;
  // Within a block of zero the envelope cannot tell a shift from no shift: keep the files as they are.
  const samples = Math.abs(candidate.blocks) < 1 ? 0 : Math.max(-options.maxOffset, Math.min(options.maxOffset, estimate));
  return { samples, method: 'envelope', envelopeCorrelation: candidate.correlation, waveformCorrelation: wave?.correlation ?? Number.NaN, problem: null };
}

/** Where the compared stretches of two signals start, and their length, once `offset` is removed. */
export interface AlignedOverlap {
  readonly refStart: number;
  readonly synStart: number;
  readonly length: number;
}

/**
 * The stretch both signals cover when the synthesized one lags the reference by `offset`
 * samples: reference samples [refStart, refStart + length) face synthesized samples
 * [synStart, synStart + length). Offset 0 is the plain trim to the shorter signal.
 */
export function alignedOverlap(refLength: number, synLength: number, offset: number): AlignedOverlap {
  const refStart = Math.max(0, -offset);
  const synStart = Math.max(0, offset);
  return { refStart, synStart, length: Math.max(0, Math.min(refLength - refStart, synLength - synStart)) };
}
