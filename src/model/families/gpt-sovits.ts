import { HIFIGAN_PERIOD, VITS_SCALE } from '../layers.js';
import type { FamilySpec } from '../types.js';
import { periodSubs, scaleSub } from './build.js';

const SOURCE = 'RVC-Boss/GPT-SoVITS GPT_SoVITS/module/models.py (MultiPeriodDiscriminator)';
const discriminator = (i: number) => `discriminators.${i}`;

function gptSovits(periods: readonly number[]) {
  return [
    scaleSub('s', discriminator(0), VITS_SCALE, 0.1),
    ...periodSubs(periods, (i) => discriminator(i + 1), HIFIGAN_PERIOD, 0.1),
  ];
}

/** GPT-SoVITS v1/v2, VITS and so-vits-svc 4.x: DiscriminatorS + DiscriminatorP(2,3,5,7,11). */
export const GPT_SOVITS: FamilySpec = {
  name: 'gpt-sovits',
  description: 'GPT-SoVITS v1/v2, VITS, so-vits-svc 4.x: scale + periods 2,3,5,7,11 (32 kHz)',
  sampleRate: 32000,
  subs: gptSovits([2, 3, 5, 7, 11]),
  source: SOURCE,
};

/** GPT-SoVITS v2Pro / v2ProPlus: two more periods, 17 and 23. */
export const GPT_SOVITS_V2PRO: FamilySpec = {
  name: 'gpt-sovits-v2pro',
  description: 'GPT-SoVITS v2Pro/v2ProPlus: scale + periods 2,3,5,7,11,17,23 (32 kHz)',
  sampleRate: 32000,
  subs: gptSovits([2, 3, 5, 7, 11, 17, 23]),
  source: SOURCE,
};
