import { HIFIGAN_PERIOD, UNIVNET_RESOLUTION } from '../layers.js';
import type { FamilySpec } from '../types.js';
import { periodSubs, resolutionSubs } from './build.js';

/** BigVGAN v1: HiFi-GAN's MPD + a 3-resolution MRD, both with slope 0.1. */
export const BIGVGAN_V1: FamilySpec = {
  name: 'bigvgan-v1',
  description: 'BigVGAN v1: periods 2..11 + resolutions 1024,2048,512 (22.05 kHz)',
  sampleRate: 22050,
  subs: [
    ...periodSubs([2, 3, 5, 7, 11], (i) => `mpd.discriminators.${i}`, HIFIGAN_PERIOD, 0.1),
    ...resolutionSubs(
      [
        { nFft: 1024, hop: 120, win: 600 },
        { nFft: 2048, hop: 240, win: 1200 },
        { nFft: 512, hop: 50, win: 240 },
      ],
      (i) => `mrd.discriminators.${i}`,
      UNIVNET_RESOLUTION,
      0.1,
    ),
  ],
  source: 'NVIDIA/BigVGAN (tag v1) discriminators in models.py',
};
