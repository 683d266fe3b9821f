import { HIFIGAN_PERIOD, HIFIGAN_SCALE } from '../layers.js';
import type { FamilySpec } from '../types.js';
import { periodSubs, scaleSub } from './build.js';

/**
 * HiFi-GAN: MPD x5 + MSD x3. The first scale discriminator uses spectral norm; the others see
 * the audio after 1 and 2 AvgPool1d(4, 2, padding=2).
 */
export const HIFIGAN: FamilySpec = {
  name: 'hifigan',
  description: 'HiFi-GAN: periods 2..11 + 3 scales with pooling (22.05 kHz)',
  sampleRate: 22050,
  subs: [
    ...periodSubs([2, 3, 5, 7, 11], (i) => `mpd.discriminators.${i}`, HIFIGAN_PERIOD, 0.1),
    scaleSub('s0', 'msd.discriminators.0', HIFIGAN_SCALE, 0.1, 0, 'spectral'),
    scaleSub('s1', 'msd.discriminators.1', HIFIGAN_SCALE, 0.1, 1),
    scaleSub('s2', 'msd.discriminators.2', HIFIGAN_SCALE, 0.1, 2),
  ],
  source: 'jik876/hifi-gan models.py',
};
