/**
 * A log-mel spectrogram as a small PNG data URI for the HTML report: time left to right, low
 * bands at the bottom, coloured with a viridis-like map. PNG encoding is pngjs's.
 */
import { PNG } from 'pngjs';

/** A log-mel spectrogram, frame-major: data[frame * bins + band] (audio/mel.ts's `LogMel`). */
export interface Spectrogram {
  readonly frames: number;
  readonly bins: number;
  readonly data: Float32Array;
}

export interface SpectrogramImageOptions {
  /** Value drawn brightest, e.g. the loudest value of a pair so both images share one scale. */
  readonly max: number;
  /** Values this far below `max` (natural-log units) and lower are drawn darkest (default 10). */
  readonly range?: number;
  /** Widest image in pixels; longer spectrograms are averaged down to it (default 320). */
  readonly maxWidth?: number;
}

/** Matplotlib's viridis at 0, 1/8, ..., 1 (sRGB); colours in between are interpolated. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function colour(t: number, out: Uint8Array, at: number): void {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  out[at] = Math.round(a[0] + (b[0] - a[0]) * f);
  out[at + 1] = Math.round(a[1] + (b[1] - a[1]) * f);
  out[at + 2] = Math.round(a[2] + (b[2] - a[2]) * f);
  out[at + 3] = 255;
}

/** The largest finite value of a spectrogram (-Infinity when it has none). */
export function spectrogramMax(spectrogram: Spectrogram): number {
  let max = -Infinity;
  for (const value of spectrogram.data) if (value > max && Number.isFinite(value)) max = value;
  return max;
}

/** The spectrogram as a `data:image/png;base64,...` URI. */
export function spectrogramImage(spectrogram: Spectrogram, options: SpectrogramImageOptions): string {
  const { frames, bins, data } = spectrogram;
  if (frames < 1 || bins < 1) throw new RangeError('a spectrogram image needs at least one frame and one band');
  const width = Math.min(frames, options.maxWidth ?? 320);
  const range = options.range ?? 10;
  const low = options.max - range;
  const png = new PNG({ width, height: bins });
  for (let x = 0; x < width; x++) {
    // Frames [f0, f1) are averaged into column x.
    const f0 = Math.floor((x * frames) / width);
    const f1 = Math.max(f0 + 1, Math.floor(((x + 1) * frames) / width));
    for (let band = 0; band < bins; band++) {
      let sum = 0;
      for (let f = f0; f < f1; f++) sum += data[f * bins + band]!;
      const value = sum / (f1 - f0);
      const y = bins - 1 - band;
      colour(Number.isFinite(value) ? (value - low) / range : 0, png.data, (y * width + x) * 4);
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png, { colorType: 2 }).toString('base64')}`;
}
