import { HIFIGAN_PERIOD, STYLETTS2_RESOLUTION } from '../layers.js';
import type { FamilySpec, SubDiscriminatorSpec } from '../types.js';
import { periodSubs } from './build.js';

const RESOLUTIONS = [
  { nFft: 1024, hop: 120, win: 600 },
  { nFft: 2048, hop: 240, win: 1200 },
  { nFft: 512, hop: 50, win: 240 },
] as const;

/**
 * StyleTTS 2's MultiResSpecDiscriminator: |torch.stft| with a Hann window, centred, laid out
 * [frames, bins]; its convs are `discriminators.i` and its post conv `out`.
 */
function resolutionSub(r: (typeof RESOLUTIONS)[number], index: number): SubDiscriminatorSpec {
  return {
    name: `r${r.nFft}`,
    prefix: `msd.discriminators.${index}`,
    input: { kind: 'stft', nFft: r.nFft, hop: r.hop, win: r.win, window: 'hann', framing: 'center', value: 'magnitude' },
    slope: 0.1,
    ...STYLETTS2_RESOLUTION,
    norm: 'weight',
    keys: { conv: 'discriminators.{i}', post: 'out' },
    logits: 'flat',
  };
}

/** StyleTTS 2: HiFi-GAN's MPD + a 3-resolution spectrogram discriminator; its WavLM discriminator (`wd`) is stored but not scored. */
export const STYLETTS2: FamilySpec = {
  name: 'styletts2',
  description: 'StyleTTS 2: periods 2..11 + Hann magnitude spectrograms 1024,2048,512 (24 kHz; its WavLM D is not scored)',
  sampleRate: 24000,
  subs: [...periodSubs([2, 3, 5, 7, 11], (i) => `mpd.discriminators.${i}`, HIFIGAN_PERIOD, 0.1), ...RESOLUTIONS.map(resolutionSub)],
  source: 'yl4579/StyleTTS2 @5cedc71 Modules/discriminators.py (MultiPeriodDiscriminator, MultiResSpecDiscriminator)',
  ignored: ['wd.'],
};
