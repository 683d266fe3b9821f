import { UNIVNET_PERIOD, UNIVNET_RESOLUTION, VITS_SCALE } from '../layers.js';
import type { FamilySpec } from '../types.js';
import { periodSubs, resolutionSubs, scaleSub } from './build.js';

/**
 * so-vits-svc 5.0 (whisper-vits-svc): MRD x4 + MPD x5 + MSD, concatenated in that order.
 * The MRD reads the *mpd* slope (0.2) from the config; the MSD keeps VITS's 0.1.
 */
export const SOVITS5: FamilySpec = {
  name: 'sovits5',
  description: 'so-vits-svc 5.0: resolutions 1024,2048,4096,512 + periods 2..11 + scale (32 kHz)',
  sampleRate: 32000,
  subs: [
    ...resolutionSubs(
      [
        { nFft: 1024, hop: 120, win: 600 },
        { nFft: 2048, hop: 240, win: 1200 },
        { nFft: 4096, hop: 480, win: 2400 },
        { nFft: 512, hop: 50, win: 240 },
      ],
      (i) => `MRD.discriminators.${i}`,
      UNIVNET_RESOLUTION,
      0.2,
    ),
    ...periodSubs([2, 3, 5, 7, 11], (i) => `MPD.discriminators.${i}`, UNIVNET_PERIOD, 0.2),
    scaleSub('s', 'MSD', VITS_SCALE, 0.1),
  ],
  source: 'PlayVoice/whisper-vits-svc vits_decoder/discriminator.py, configs/base.yaml',
};
