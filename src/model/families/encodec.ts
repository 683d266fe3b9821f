import { encodecStack } from '../layers.js';
import type { FamilySpec, SubDiscriminatorSpec } from '../types.js';

/** AudioCraft/EnCodec DiscriminatorSTFT, filters 32: the stack BigVGAN v2's CQT-D copies. */
const STFT_STACK = encodecStack(2, 32);

/** AudioCraft's compression default (msstftd): n_fft = win, hop = n_fft / 4. */
const N_FFTS = [1024, 2048, 512, 256, 128];

const subs: SubDiscriminatorSpec[] = N_FFTS.map((w, i) => ({
  name: `stft${w}`,
  prefix: `msstftd.adversary.discriminators.${i}`,
  // torchaudio Spectrogram(normalized=True, center=False, power=None), periodic Hann.
  input: { kind: 'stft', nFft: w, hop: w / 4, win: w, window: 'hann', framing: 'none', value: 'complex', normalized: true },
  slope: 0.3,
  ...STFT_STACK,
  norm: 'weight',
  keys: { conv: 'convs.{i}.conv', post: 'conv_post.conv' },
  features: { skipFirst: 0, post: false },
  buffers: [{ key: 'spec_transform.window', use: 'known' }],
  logits: 'map',
}));

/**
 * EnCodec / AudioCraft MS-STFT discriminator with AudioCraft's compression defaults: 5 scales,
 * LeakyReLU 0.3 (the encodec repository's class defaults, 3 scales and 0.2, are not this).
 */
export const ENCODEC: FamilySpec = {
  name: 'encodec',
  description: 'EnCodec/AudioCraft MS-STFT: complex STFT 1024,2048,512,256,128 (24 kHz)',
  sampleRate: 24000,
  subs,
  source: 'facebookresearch/audiocraft @896ec7c audiocraft/adversarial/discriminators/msstftd.py, config/solver/compression/default.yaml',
};
