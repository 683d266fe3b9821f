import { HIFIGAN_PERIOD } from '../layers.js';
import type { FamilySpec, FeatureSelection, SubDiscriminatorSpec } from '../types.js';
import { BAND_FRACTIONS, BAND_STACK } from './dac.js';

// Vocos leaves each period stack's and each band's first conv out of the feature maps.
const FEATURES: FeatureSelection = { skipFirst: 1, post: true };
const SLOPE = 0.1;

const periods: SubDiscriminatorSpec[] = [2, 3, 5, 7, 11].map((period, i) => ({
  name: `p${period}`,
  prefix: `multiperioddisc.discriminators.${i}`,
  input: { kind: 'period', period },
  slope: SLOPE,
  ...HIFIGAN_PERIOD,
  norm: 'weight',
  features: FEATURES,
  logits: 'flat',
}));

const resolutions: SubDiscriminatorSpec[] = [2048, 1024, 512].map((w, i) => ({
  name: `r${w}`,
  prefix: `multiresddisc.discriminators.${i}`,
  // torchaudio Spectrogram(n_fft=w, hop=w/4, power=None): periodic Hann, center=True, reflect.
  input: { kind: 'stft', nFft: w, hop: w / 4, win: w, window: 'hann', framing: 'center', value: 'complex' },
  slope: SLOPE,
  ...BAND_STACK,
  norm: 'weight',
  keys: { conv: 'band_convs.{b}.{i}', post: 'conv_post' },
  features: FEATURES,
  bands: { fractions: BAND_FRACTIONS },
  normalize: 'dc-peak',
  buffers: [{ key: 'spec_fn.window', use: 'known' }],
  logits: 'map',
}));

/**
 * Vocos >= 0.1.0: MPD x5 + complex 5-band MRD x3 (the MRD of commit 11b4628; 0.0.x had a
 * magnitude MRD), DC + peak normalisation inside each MRD sub.
 */
export const VOCOS: FamilySpec = {
  name: 'vocos',
  description: 'Vocos >= 0.1: periods 2..11 + complex 5-band STFT 2048,1024,512 (24 kHz)',
  sampleRate: 24000,
  subs: [...periods, ...resolutions],
  source: 'gemelo-ai/vocos @c859e3b vocos/discriminators.py',
};
