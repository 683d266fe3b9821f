/**
 * Band-limited resampling (Kaiser-windowed sinc) for any pair of integer rates, with random
 * access: output samples [start, start+length) at the target rate are computed from just the
 * input span they depend on, and the result is identical whatever the chunking, because every
 * output sample is a fixed sum over a fixed set of input samples (zero outside the signal)
 * with coefficients that depend only on its own index. Written by hand for that reason: the
 * pipeline reads windows of long files out of order, and libsamplerate-js only offers a
 * stateful stream with no end-of-input flush.
 *
 * Conventions:
 * - Output sample n sits at input time n * inRate / outRate exactly (rational arithmetic, no
 *   group delay): output 0 is input 0.
 * - Output length is ceil(inputLength * outRate / inRate): every output time that falls
 *   inside the input signal, and no more.
 * - Outside the signal the input is taken as zero.
 * - Equal rates: the input is returned unchanged (bit-exact).
 *
 * Filter: cutoff at 0.95 of the lower Nyquist frequency, Kaiser beta 9.5, 64 zero-crossings
 * per side in units of the lower rate's sample period (design: ~95 dB stopband from the lower
 * Nyquist up, transition 0.9..1.0 of it). Measured on 44.1k->32k, 22.05k->32k, 48k->22.05k,
 * 16k->32k, 8k->32k, 96k->32k: passband gain within +-0.0002 dB up to 0.9 of the lower
 * Nyquist; tones at or above the lower Nyquist leave <= -99 dB; images of upsampling <= -102 dB.
 * Each output's coefficients are normalised to sum to 1, so DC passes exactly.
 * Coefficients come from a polyphase table (one row per phase of the reduced ratio) when
 * that table is small; otherwise from a finely sampled prototype with linear interpolation.
 */
import { pause } from '../util/yield.js';

/** Half-width of the prototype in lower-rate samples (zero crossings per side). */
const HALF_WIDTH = 64;
const KAISER_BETA = 9.5;
/** Cutoff as a fraction of the lower Nyquist frequency: the middle of the 0.9..1.0 transition. */
const CUTOFF = 0.95;
/** Polyphase table entries allowed (phases x taps) before switching to the interpolated table. */
const MAX_POLYPHASE_ENTRIES = 1 << 20;
/** Prototype samples per lower-rate sample period for the interpolated table. */
const OVERSAMPLE = 2048;
/** Output samples computed per step in resampleFrom (bounds its temporary input buffer). */
const STEP_OUTPUT = 1 << 17;
/** Multiply-adds per step of resampleFrom (a few milliseconds). */
const STEP_WORK = 4_000_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** floor(a / b) for non-negative safe integers, exact even where a / b rounds. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  while (q * b > a) q--;
  while ((q + 1) * b <= a) q++;
  return q;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for beta < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const I0_BETA = besselI0(KAISER_BETA);

/** Prototype low-pass at `u` lower-rate samples from its centre (0 beyond the half-width). */
function prototype(u: number): number {
  const a = Math.abs(u);
  if (a >= HALF_WIDTH) return 0;
  const r = a / HALF_WIDTH;
  const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / I0_BETA;
  const x = Math.PI * CUTOFF * a;
  const sinc = a === 0 ? 1 : Math.sin(x) / x;
  return CUTOFF * sinc * window;
}

let prototypeTable: Float64Array | undefined;
/** The prototype sampled OVERSAMPLE times per unit (with a trailing 0 for interpolation). */
function getPrototypeTable(): Float64Array {
  if (!prototypeTable) {
    const n = HALF_WIDTH * OVERSAMPLE;
    prototypeTable = new Float64Array(n + 2);
    for (let i = 0; i <= n; i++) prototypeTable[i] = prototype(i / OVERSAMPLE);
  }
  return prototypeTable;
}

/** The input samples [start, end) that a range of outputs depends on (may extend past the signal). */
/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

export interface InputSpan {
  readonly start: number;
  readonly end: number;
}

/** A resampler for one rate pair. Stateless after construction; safe to share. */
export class Resampler {
  /** Reduced ratio: inRate = step * g, outRate = phases * g. */
  private readonly step: number;
  private readonly phases: number;
  /** Taps per side in input samples. */
  private readonly halfTaps: number;
  private readonly taps: number;
  /** Lower-rate units per input sample (1 when upsampling). */
  private readonly scale: number;
  private readonly polyphase: Float32Array | undefined;
  readonly identity: boolean;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    for (const [name, r] of [['input', inRate], ['output', outRate]] as const) {
      if (!Number.isSafeInteger(r) || r <= 0) throw new RangeError(`${name} rate must be a positive integer, got ${r}`);
    }
    const g = gcd(inRate, outRate);
    this.step = inRate / g;
    this.phases = outRate / g;
    this.identity = inRate === outRate;
    this.scale = Math.min(1, outRate / inRate);
    this.halfTaps = Math.ceil(HALF_WIDTH / this.scale);
    this.taps = 2 * this.halfTaps;
    if (!this.identity && this.phases * this.taps <= MAX_POLYPHASE_ENTRIES) {
      // Rows come from the oversampled prototype (interpolation error ~1e-7, far below the
      // stopband), which builds a table in milliseconds instead of evaluating Bessel series.
      this.polyphase = new Float32Array(this.phases * this.taps);
      const row = new Float64Array(this.taps);
      for (let p = 0; p < this.phases; p++) {
        this.coefficients(p / this.phases, row);
        this.polyphase.set(row, p * this.taps);
      }
    }
  }

  /** Fills `row` with the normalised coefficients for an output at fractional input time `frac`. */
  private coefficients(frac: number, row: Float64Array): void {
    const proto = getPrototypeTable();
    const end = HALF_WIDTH * OVERSAMPLE;
    let sum = 0;
    for (let j = 0; j < this.taps; j++) {
      // Tap j reads input sample i - halfTaps + 1 + j, at distance frac + halfTaps - 1 - j
      // input samples, i.e. that times `scale` lower-rate samples.
      const x = Math.abs((frac + this.halfTaps - 1 - j) * this.scale) * OVERSAMPLE;
      const k = Math.floor(x);
      const v = k >= end ? 0 : proto[k]! + (proto[k + 1]! - proto[k]!) * (x - k);
      row[j] = v;
      sum += v;
    }
    for (let j = 0; j < this.taps; j++) row[j]! /= sum;
  }

  /** Multiply-adds per output sample: what a step of resampling costs. */
  get tapCount(): number {
    return this.identity ? 1 : this.taps;
  }

  /** Number of output samples for `inputLength` input samples: ceil(inputLength * out / in). */
  outputLength(inputLength: number): number {
    if (this.identity) return inputLength;
    const a = inputLength * this.phases;
    const q = floorDiv(a, this.step);
    return q * this.step === a ? q : q + 1;
  }

  /** Input samples needed for outputs [start, start+length). */
  inputSpan(start: number, length: number): InputSpan {
    if (this.identity) return { start, end: start + length };
    if (length <= 0) return { start: 0, end: 0 };
    if (!Number.isSafeInteger((start + length) * this.step)) throw new RangeError(`output position ${start + length} is too large for exact timing`);
    const first = floorDiv(start * this.step, this.phases);
    const last = floorDiv((start + length - 1) * this.step, this.phases);
    return { start: first - this.halfTaps + 1, end: last + this.halfTaps + 1 };
  }

  /**
   * Computes outputs [start, start+length) from `input`, which holds the input samples of
   * `inputSpan(start, length)` beginning at index 0 (zeros where the span leaves the signal).
   */
  process(input: Float32Array, start: number, length: number, out = new Float32Array(length), outOffset = 0): Float32Array {
    const span = this.inputSpan(start, length);
    if (input.length < span.end - span.start) throw new RangeError('input does not cover the span the outputs need');
    if (this.identity) {
      out.set(input.subarray(0, length), outOffset);
      return out;
    }
    const { step, phases, taps, halfTaps } = this;
    const stepWhole = Math.floor(step / phases);
    const stepFrac = step % phases;
    const pos = start * step;
    let i = floorDiv(pos, phases); // integer input time of the current output
    let phase = pos - i * phases; // fractional part, in 1/phases units
    const table = this.polyphase;
    const proto = getPrototypeTable();
    const protoEnd = HALF_WIDTH * OVERSAMPLE;
    const tapStep = this.scale * OVERSAMPLE; // prototype-table positions per input sample
    for (let o = 0; o < length; o++) {
      const base = i - halfTaps + 1 - span.start;
      let acc = 0;
      if (table) {
        // Four partial sums: independent chains let the CPU overlap the multiply-adds
        // (taps is always even; the order is fixed, so results stay deterministic).
        const c0 = phase * taps;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let j = 0;
        for (; j + 4 <= taps; j += 4) {
          a0 += input[base + j]! * table[c0 + j]!;
          a1 += input[base + j + 1]! * table[c0 + j + 1]!;
          a2 += input[base + j + 2]! * table[c0 + j + 2]!;
          a3 += input[base + j + 3]! * table[c0 + j + 3]!;
        }
        for (; j < taps; j++) a0 += input[base + j]! * table[c0 + j]!;
        acc = a0 + a1 + (a2 + a3);
      } else {
        // Same coefficients as coefficients() computes, inlined (this path has no table):
        // interpolate the prototype at each tap's distance, normalise by their sum at the end.
        const x0 = (phase / phases + halfTaps - 1) * tapStep;
        let sum = 0;
        for (let j = 0; j < taps; j++) {
          const x = x0 - j * tapStep;
          const ax = x < 0 ? -x : x;
          const k = ax | 0; // ax < 2^31: truncation is floor
          if (k < protoEnd) {
            const p0 = proto[k]!;
            const c = p0 + (proto[k + 1]! - p0) * (ax - k);
            sum += c;
            acc += input[base + j]! * c;
          }
        }
        acc /= sum;
      }
      // Finite input near float32's limit can overshoot it (the filter rings a little above its
      // input): saturate rather than store ±Infinity, which finite input must never become.
      out[outOffset + o] = acc > FLOAT32_MAX ? FLOAT32_MAX : acc < -FLOAT32_MAX ? -FLOAT32_MAX : acc;
      i += stepWhole;
      phase += stepFrac;
      if (phase >= phases) {
        phase -= phases;
        i += 1;
      }
    }
    return out;
  }
}

const cache = new Map<string, Resampler>();
/** A shared resampler for a rate pair (tables are built once; a handful of pairs are kept). */
export function resamplerFor(inRate: number, outRate: number): Resampler {
  const key = `${inRate}:${outRate}`;
  let r = cache.get(key);
  if (!r) {
    r = new Resampler(inRate, outRate);
    if (cache.size >= 16) cache.delete(cache.keys().next().value!);
    cache.set(key, r);
  }
  return r;
}

/**
 * Outputs [start, start+length) of `x` (at inRate) resampled to outRate, reading through
 * `get(from, count, into, at)`, which must copy input samples [from, from+count) (all inside
 * the signal) into `into` at `at`. Steps through the range in bounded pieces; the result does
 * not depend on the piece size.
 */
export async function resampleFrom(
  get: (from: number, count: number, into: Float32Array, at: number) => Promise<unknown> | unknown,
  inputLength: number,
  inRate: number,
  outRate: number,
  start: number,
  length: number,
  out = new Float32Array(length),
): Promise<Float32Array> {
  const r = resamplerFor(inRate, outRate);
  // Steps of bounded work (a few ms each), with a turn of the event loop between them when due.
  const step = Math.max(1024, Math.min(STEP_OUTPUT, Math.floor(STEP_WORK / r.tapCount)));
  for (let done = 0; done < length; ) {
    if (done > 0) await pause();
    const n = Math.min(step, length - done);
    const span = r.inputSpan(start + done, n);
    const buf = new Float32Array(span.end - span.start);
    const from = Math.max(0, span.start);
    const to = Math.min(inputLength, span.end);
    if (to > from) await get(from, to - from, buf, from - span.start);
    r.process(buf, start + done, n, out, done);
    done += n;
  }
  return out;
}

/** Outputs [start, start+length) of the whole in-memory signal `x` resampled from inRate to outRate. */
export function resampleRange(x: Float32Array, inRate: number, outRate: number, start: number, length: number): Float32Array {
  const r = resamplerFor(inRate, outRate);
  const span = r.inputSpan(start, length);
  const buf = new Float32Array(span.end - span.start);
  const from = Math.max(0, span.start);
  const to = Math.min(x.length, span.end);
  if (to > from) buf.set(x.subarray(from, to), from - span.start);
  return r.process(buf, start, length);
}

/** The whole signal resampled; the input itself when the rates are equal. */
export function resample(x: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) {
    resamplerFor(inRate, outRate); // validates the rates
    return x;
  }
  const r = resamplerFor(inRate, outRate);
  return resampleRange(x, inRate, outRate, 0, r.outputLength(x.length));
}
