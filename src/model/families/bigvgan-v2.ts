import { conv2d, encodecStack, HIFIGAN_PERIOD } from '../layers.js';
import { CQT_BUFFERS } from '../keys.js';
import type { FamilySpec, SubDiscriminatorSpec } from '../types.js';
import { periodSubs } from './build.js';

/** One CQT-D per (hop, bins per octave), 9 octaves each (every v2 config). */
const CQT_SCALES = [
  { hop: 512, binsPerOctave: 24 },
  { hop: 256, binsPerOctave: 36 },
  { hop: 256, binsPerOctave: 48 },
] as const;
const OCTAVES = 9;

/**
 * BigVGAN v2's DiscriminatorCQT: 2x resample, CQT (stored kernels), a conv per octave, then
 * the EnCodec-style stack with 128 filters. Its feature maps are the 5 activations, not the
 * logits (BigVGAN's feature loss gets `fmap` only), and the logits stay 4-D.
 */
function cqtSub(hop: number, binsPerOctave: number, index: number): SubDiscriminatorSpec {
  return {
    name: `cqt${hop}x${binsPerOctave}`,
    prefix: `mrd.discriminators.${index}`,
    input: { kind: 'cqt', hop, octaves: OCTAVES, binsPerOctave },
    slope: 0.1,
    ...encodecStack(2, 128),
    norm: 'weight',
    pre: { key: 'conv_pres.{c}', count: OCTAVES, layer: { ...conv2d(2, 2, [3, 9], [1, 1], 1, [1, 4]), norm: 'none' } },
    features: { skipFirst: 0, post: false },
    logits: 'map',
    buffers: Object.values(CQT_BUFFERS).map((key) => ({ key, use: 'read' as const })),
  };
}

/**
 * BigVGAN v2 (vocoder of GPT-SoVITS v3/v4 and F5-TTS): HiFi-GAN's MPD and three sub-band CQT
 * discriminators, stored under `mrd` (the name kept from v1).
 */
export const BIGVGAN_V2: FamilySpec = {
  name: 'bigvgan-v2',
  description: 'BigVGAN v2 (vocoder of GPT-SoVITS v3/v4, F5-TTS): periods 2..11 + sub-band CQT 512x24, 256x36, 256x48 (24 kHz)',
  sampleRate: 24000,
  subs: [...periodSubs([2, 3, 5, 7, 11], (i) => `mpd.discriminators.${i}`, HIFIGAN_PERIOD, 0.1), ...CQT_SCALES.map((s, i) => cqtSub(s.hop, s.binsPerOctave, i))],
  source: 'NVIDIA/BigVGAN @7d2b454 (v2.4) discriminators.py (MultiPeriodDiscriminator, MultiScaleSubbandCQTDiscriminator)',
};
