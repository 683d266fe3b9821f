import { HIFIGAN_PERIOD, VITS_SCALE } from '../layers.js';
import type { FamilySpec } from '../types.js';
import { periodSubs, scaleSub } from './build.js';

const SOURCE = 'RVC-Project/Retrieval-based-Voice-Conversion-WebUI @4338f12 infer/lib/infer_pack/models.py (MultiPeriodDiscriminator, MultiPeriodDiscriminatorV2); IAHispano/Applio @b9c0ccb';
const discriminator = (i: number) => `discriminators.${i}`;

/**
 * RVC's discriminators are VITS's (DiscriminatorS + DiscriminatorP, LeakyReLU 0.1) with more
 * periods. One layout serves the 32, 40 and 48 kHz models, so the rate cannot be read off the
 * weights: it comes from --sample-rate or the `config.json` beside the file; 40 kHz is the
 * WebUI's default.
 */
function rvc(periods: readonly number[]) {
  return [scaleSub('s', discriminator(0), VITS_SCALE, 0.1), ...periodSubs(periods, (i) => discriminator(i + 1), HIFIGAN_PERIOD, 0.1)];
}

/** RVC v1 (MultiPeriodDiscriminator): scale + periods 2,3,5,7,11,17. */
export const RVC_V1: FamilySpec = {
  name: 'rvc-v1',
  description: 'RVC v1 voice conversion (RVC WebUI v1 models, Applio, their forks): scale + periods 2..17 (32/40/48 kHz: --sample-rate; 40 kHz default)',
  sampleRate: 40000,
  subs: rvc([2, 3, 5, 7, 11, 17]),
  source: SOURCE,
};

/** RVC v2 (MultiPeriodDiscriminatorV2): scale + periods 2,3,5,7,11,17,23,37. */
export const RVC_V2: FamilySpec = {
  name: 'rvc-v2',
  description: 'RVC v2 voice conversion (RVC WebUI v2 models, Applio, their forks): scale + periods 2..37 (32/40/48 kHz: --sample-rate; 40 kHz default)',
  sampleRate: 40000,
  subs: rvc([2, 3, 5, 7, 11, 17, 23, 37]),
  source: SOURCE,
};
