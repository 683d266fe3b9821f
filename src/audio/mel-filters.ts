/**
 * Mel filterbank identical to librosa.filters.mel with its defaults (htk=False: the Slaney
 * "Auditory Toolbox" mel scale, linear below 1 kHz and logarithmic above; norm='slaney':
 * each triangle scaled by 2 / its width in Hz, i.e. equal area), which is what GPT-SoVITS's
 * mel_processing.py uses. Written by hand because no JavaScript library reproduces librosa's
 * Slaney formula exactly (they use HTK mels or no area normalisation). Like librosa, the
 * weights are stored as float32 and the normalisation is applied to the float32 triangles.
 */

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

export function hzToMel(f: number): number {
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP;
}

export function melToHz(m: number): number {
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/** One triangle: its weights for FFT bins [start, start + weights.length). */
export interface MelBand {
  readonly start: number;
  readonly weights: Float32Array;
}

/** The filterbank as sparse bands (each triangle spans only a few bins). */
export function melFilterbank(sampleRate: number, nFft: number, nMels: number, fmin: number, fmax: number): MelBand[] {
  const nBins = Math.floor(nFft / 2) + 1;
  const fftFreq = (k: number) => (k * sampleRate) / nFft;
  // np.linspace(min_mel, max_mel, n_mels + 2): start + i * step, last point exact.
  const lo = hzToMel(fmin);
  const hi = hzToMel(fmax);
  const count = nMels + 2;
  const step = (hi - lo) / (count - 1);
  const melF = new Float64Array(count);
  for (let i = 0; i < count; i++) melF[i] = melToHz(i === count - 1 ? hi : lo + i * step);

  const bands: MelBand[] = [];
  for (let m = 0; m < nMels; m++) {
    const f0 = melF[m]!;
    const f1 = melF[m + 1]!;
    const f2 = melF[m + 2]!;
    const enorm = 2 / (f2 - f0);
    const row: number[] = [];
    let start = -1;
    for (let k = 0; k < nBins; k++) {
      const f = fftFreq(k);
      const lower = (f - f0) / (f1 - f0);
      const upper = (f2 - f) / (f2 - f1);
      const w = Math.fround(Math.max(0, Math.min(lower, upper)));
      if (w > 0) {
        if (start < 0) start = k;
        // Zeros inside a band cannot occur (a triangle is positive between its ends).
        row.push(Math.fround(w * enorm));
      } else if (start >= 0) {
        break;
      }
    }
    bands.push({ start: Math.max(0, start), weights: Float32Array.from(row) });
  }
  return bands;
}
