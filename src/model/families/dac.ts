import { conv2d, type ConvStack, HIFIGAN_PERIOD, VITS_SCALE } from '../layers.js';
import type { FamilySpec, FeatureSelection, KeyTemplates, SubDiscriminatorSpec } from '../types.js';

/**
 * The 5-band complex-STFT stack of DAC's and Vocos' MRD (dim2 = time, dim3 = frequency):
 * 2->32 (3,9); 3 x 32->32 (3,9) stride (1,2); 32->32 (3,3); shared post 32->1 (3,3).
 */
export const BAND_STACK: ConvStack = {
  convs: [
    conv2d(2, 32, [3, 9], [1, 1], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 3], [1, 1], 1, [1, 1]),
  ],
  post: conv2d(32, 1, [3, 3], [1, 1], 1, [1, 1]),
};

/** Fractions of the w/2 + 1 bins per band (DAC's default `bands`, copied by Vocos 0.1). */
export const BAND_FRACTIONS: readonly (readonly [number, number])[] = [
  [0.0, 0.1],
  [0.1, 0.25],
  [0.25, 0.5],
  [0.5, 0.75],
  [0.75, 1.0],
];

// DAC wraps every conv + activation in a Sequential (`.0`), but not conv_post.
const KEYS: KeyTemplates = { conv: 'convs.{i}.0', post: 'conv_post' };
const BAND_KEYS: KeyTemplates = { conv: 'band_convs.{b}.{i}.0', post: 'conv_post' };
// Each sub returns one list whose last entry is the logits; the feature loss takes the rest.
const FEATURES: FeatureSelection = { skipFirst: 0, post: false };
const SLOPE = 0.1;
const at = (i: number) => `discriminators.${i}`;

function dacSubs(rates: readonly number[]): SubDiscriminatorSpec[] {
  const periods = [2, 3, 5, 7, 11];
  const subs: SubDiscriminatorSpec[] = periods.map((period, i) => ({
    name: `p${period}`,
    prefix: at(i),
    input: { kind: 'period', period, alwaysPad: true },
    slope: SLOPE,
    ...HIFIGAN_PERIOD,
    norm: 'weight',
    keys: KEYS,
    features: FEATURES,
    logits: 'map',
  }));
  // MSD(rate): the audio resampled to sample_rate // rate; only rate 1 (no resampling) is met.
  rates.forEach((rate) => {
    subs.push({ name: `s${rate}`, prefix: at(subs.length), input: { kind: 'waveform', pool: 0 }, slope: SLOPE, ...VITS_SCALE, norm: 'weight', keys: KEYS, features: FEATURES, logits: 'map' });
  });
  for (const w of [2048, 1024, 512]) {
    subs.push({
      name: `r${w}`,
      prefix: at(subs.length),
      input: { kind: 'stft', nFft: w, hop: w / 4, win: w, window: 'hann', framing: 'dac', value: 'complex' },
      slope: SLOPE,
      ...BAND_STACK,
      norm: 'weight',
      keys: BAND_KEYS,
      features: FEATURES,
      bands: { fractions: BAND_FRACTIONS },
      logits: 'map',
    });
  }
  return subs;
}

const SOURCE = 'descriptinc/descript-audio-codec @c7cfc5d dac/model/discriminator.py; audiotools @348ebf2 AudioSignal.stft';

/**
 * DAC (descript-audio-codec): MPD x5 with DAC's always-pad period view, an MSD per entry of
 * `rates`, and complex 5-band MRD x3; DC + peak normalisation once for all sub-discriminators.
 * One upstream class whose layout depends on `rates`, so two specs of one name: the released
 * configs' `rates: []` (the default for `--family dac` without a checkpoint) and the
 * ablations' `rates: [1]`. A checkpoint is matched to the one its keys fit (weights.pth's
 * metadata holds the class defaults, not the arguments).
 */
export const DAC: FamilySpec = {
  name: 'dac',
  description: 'DAC (descript-audio-codec), released configs: periods 2..11 + complex 5-band STFT 2048,1024,512 (44.1 kHz)',
  sampleRate: 44100,
  subs: dacSubs([]),
  normalize: 'dc-peak',
  source: SOURCE,
};

/** DAC with `rates: [1]`: an MSD on the waveform (`s1`) between the periods and the resolutions. */
export const DAC_WITH_MSD: FamilySpec = {
  ...DAC,
  description: 'DAC (descript-audio-codec), rates [1]: periods 2..11 + scale + complex 5-band STFT 2048,1024,512 (44.1 kHz)',
  subs: dacSubs([1]),
};
