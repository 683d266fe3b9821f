import { Resampler, resample, resampleRange } from '../../src/audio/resample.js';

/** A tone as float32 samples: amplitude a, frequency f Hz, at `rate`, `n` samples. */
function tone(f: number, rate: number, n: number, a = 0.5, phase = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a * Math.sin((2 * Math.PI * f * i) / rate + phase);
  return x;
}

/**
 * Amplitude of the component at frequency f in y[from, to), by projection on a Hann-windowed
 * complex exponential (the window keeps leakage from other tones far below -100 dB).
 */
function amplitudeAt(y: Float32Array, f: number, rate: number, from: number, to: number): number {
  let re = 0;
  let im = 0;
  let wsum = 0;
  const n = to - from;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
    const ph = (2 * Math.PI * f * (from + i)) / rate;
    re += w * y[from + i]! * Math.cos(ph);
    im += w * y[from + i]! * Math.sin(ph);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

function rms(y: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += y[i]! * y[i]!;
  return Math.sqrt(s / (to - from));
}

const dB = (x: number) => 20 * Math.log10(x);

/** Where the edges (zero outside the signal) no longer matter, in output samples. */
function steadyRange(outLen: number, inRate: number, outRate: number): [number, number] {
  const margin = Math.ceil((100 * outRate) / Math.min(inRate, outRate)) + 10;
  return [margin, outLen - margin];
}

const PAIRS: Array<[number, number]> = [
  [44100, 32000],
  [22050, 32000],
  [48000, 22050],
  [16000, 32000],
  [8000, 32000],
  [32000, 16000],
  [44100, 32001], // large reduced ratio: interpolated-table path
  [96000, 32000],
];

describe.each(PAIRS)('%i Hz -> %i Hz', (inRate, outRate) => {
  const nyq = Math.min(inRate, outRate) / 2;
  const n = Math.round(inRate * 0.25);

  it('passband: gain within 0.1 dB up to 0.9 of the lower Nyquist', () => {
    for (const frac of [0.01, 0.1, 0.25, 0.5, 0.7, 0.8, 0.85, 0.9]) {
      const f = frac * nyq;
      const y = resample(tone(f, inRate, n), inRate, outRate);
      const [a, b] = steadyRange(y.length, inRate, outRate);
      const gain = dB(amplitudeAt(y, f, outRate, a, b) / 0.5);
      expect(Math.abs(gain)).toBeLessThan(0.1);
    }
  });

  if (inRate > outRate) {
    it('stopband: tones above the target Nyquist are attenuated by at least 80 dB (no aliasing)', () => {
      const inNyq = inRate / 2;
      for (const frac of [1.0, 1.02, 1.1, 1.3, 1.6, 2, 2.5, 3]) {
        const f = frac * nyq;
        if (f >= inNyq * 0.999) continue;
        const y = resample(tone(f, inRate, n), inRate, outRate);
        const [a, b] = steadyRange(y.length, inRate, outRate);
        // Everything left in the output is alias: measure it all.
        expect(dB(rms(y, a, b) * Math.SQRT2 / 0.5)).toBeLessThan(-80);
      }
    });

    it('a sweep through the target Nyquist leaves < -80 dB where it is above it and passes it below', () => {
      // Linear chirp 0 -> input Nyquist over 2 s: instantaneous frequency f(t) = k t.
      const seconds = 2;
      const len = inRate * seconds;
      const k = inRate / 2 / seconds;
      const x = new Float32Array(len);
      for (let i = 0; i < len; i++) {
        const t = i / inRate;
        x[i] = 0.5 * Math.sin(Math.PI * k * t * t);
      }
      const y = resample(x, inRate, outRate);
      const block = Math.round(outRate * 0.02);
      for (let start = 0; start + block <= y.length; start += block) {
        const f0 = (k * start) / outRate;
        const f1 = (k * (start + block)) / outRate;
        if (f0 > nyq * 1.01) {
          expect(dB(rms(y, start, start + block) * Math.SQRT2 / 0.5)).toBeLessThan(-80);
        } else if (f1 < nyq * 0.85 && start > block) {
          let err = 0;
          for (let i = start; i < start + block; i++) {
            const t = i / outRate;
            err = Math.max(err, Math.abs(y[i]! - 0.5 * Math.sin(Math.PI * k * t * t)));
          }
          expect(err).toBeLessThan(1e-3);
        }
      }
    });
  } else {
    it('images above the source Nyquist are attenuated by at least 80 dB', () => {
      for (const frac of [0.1, 0.5, 0.9]) {
        const f = frac * nyq;
        const y = resample(tone(f, inRate, n), inRate, outRate);
        const [a, b] = steadyRange(y.length, inRate, outRate);
        for (let m = 1; m * inRate - f < outRate / 2; m++) {
          for (const image of [m * inRate - f, m * inRate + f]) {
            if (image >= outRate / 2) continue;
            expect(dB(amplitudeAt(y, image, outRate, a, b) / 0.5)).toBeLessThan(-80);
          }
        }
        // Whole residual after removing the tone itself.
        const clean = tone(f, outRate, y.length);
        const residual = y.map((v, i) => v - clean[i]!);
        expect(dB(rms(residual, a, b) * Math.SQRT2 / 0.5)).toBeLessThan(-70);
      }
    });
  }

  it('time alignment: output n is the input at time n * in / out (no delay)', () => {
    const f = 0.3 * nyq;
    const phase = 0.7;
    const y = resample(tone(f, inRate, n, 0.5, phase), inRate, outRate);
    const [a, b] = steadyRange(y.length, inRate, outRate);
    let err = 0;
    for (let i = a; i < b; i++) err = Math.max(err, Math.abs(y[i]! - 0.5 * Math.sin((2 * Math.PI * f * i) / outRate + phase)));
    expect(err).toBeLessThan(1e-4);
  });

  it('chunked reads equal the one-shot result exactly', () => {
    const x = tone(0.37 * nyq, inRate, 5000);
    for (let i = 0; i < x.length; i += 97) x[i] = (x[i]! * 3) % 1; // a little broadband content
    const whole = resample(x, inRate, outRate);
    let seed = 1;
    for (let start = 0; start < whole.length; ) {
      seed = (seed * 48271) % 2147483647;
      const len = Math.min(whole.length - start, 1 + (seed % 700));
      const part = resampleRange(x, inRate, outRate, start, len);
      for (let i = 0; i < len; i++) if (part[i] !== whole[start + i]) throw new Error(`differs at ${start + i}`);
      start += len;
    }
  });

  it('length is ceil(in * out / in) and DC passes exactly', () => {
    const r = new Resampler(inRate, outRate);
    for (const len of [1, 2, 3, 100, 12345]) expect(r.outputLength(len)).toBe(Math.ceil((len * outRate) / inRate));
    const y = resample(new Float32Array(4000).fill(0.25), inRate, outRate);
    const [a, b] = steadyRange(y.length, inRate, outRate);
    let err = 0;
    for (let i = a; i < b; i++) err = Math.max(err, Math.abs(y[i]! - 0.25));
    expect(err).toBeLessThan(1e-6);
  });
});

describe('resampler edge cases', () => {
  it('equal rates return the input itself', () => {
    const x = Float32Array.from([0.1, -0.2, 0.3]);
    expect(resample(x, 32000, 32000)).toBe(x);
    expect(Array.from(resampleRange(x, 32000, 32000, 1, 2))).toEqual([x[1], x[2]]);
  });

  it('a single input sample gives a single output sample at the same value', () => {
    const y = resample(Float32Array.from([0.5]), 8000, 32000);
    expect(y.length).toBe(4);
    expect(y[0]).toBeCloseTo(0.5 * 1, 1); // centred on the impulse
    expect(resample(Float32Array.from([0.5]), 48000, 16000).length).toBe(1);
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => new Resampler(0, 32000)).toThrow(RangeError);
    expect(() => new Resampler(44100.5, 32000)).toThrow(RangeError);
  });
});

test('finite input at float32 extremes resamples to finite output (saturated, never ±Infinity)', async () => {
  // A fuzz finding (kept in fuzz/regressions/wav): a float32 WAV at 8 kHz whose samples reach
  // ~3e38; read at 16 kHz, the filter's ringing went past float32's limit and stored Infinity.
  const { openAudioBuffer } = await import('../../src/audio/index.js');
  const { readFileSync } = await import('node:fs');
  const reader = await openAudioBuffer(readFileSync('fuzz/regressions/wav/crash-75818d53876825261179685c8e318c194ecde61d'));
  try {
    const out = await reader.read(16000, 0, reader.lengthAt(16000));
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  } finally {
    await reader.close();
  }
});
