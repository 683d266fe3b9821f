/**
 * Layer-table building blocks shared by several families (see
 * ../shared/reference/discriminators.md). Families compose these; nothing here knows a family.
 */
import type { ConvLayer, ConvNorm } from './types.js';

export function conv1d(inCh: number, out: number, kernel: number, stride: number, groups: number, padding: number): ConvLayer {
  return { in: inCh, out, kernel: [kernel], stride: [stride], groups, padding: [padding] };
}

export function conv2d(
  inCh: number,
  out: number,
  kernel: [number, number],
  stride: [number, number],
  groups: number,
  padding: [number, number],
): ConvLayer {
  return { in: inCh, out, kernel, stride, groups, padding };
}

export interface ConvStack {
  readonly convs: readonly ConvLayer[];
  readonly post: ConvLayer;
}

/** VITS / GPT-SoVITS DiscriminatorS (also so-vits-svc 5.0's MSD). */
export const VITS_SCALE: ConvStack = {
  convs: [
    conv1d(1, 16, 15, 1, 1, 7),
    conv1d(16, 64, 41, 4, 4, 20),
    conv1d(64, 256, 41, 4, 16, 20),
    conv1d(256, 1024, 41, 4, 64, 20),
    conv1d(1024, 1024, 41, 4, 256, 20),
    conv1d(1024, 1024, 5, 1, 1, 2),
  ],
  post: conv1d(1024, 1, 3, 1, 1, 1),
};

/** HiFi-GAN DiscriminatorS (MSD), also used by its pooled copies. */
export const HIFIGAN_SCALE: ConvStack = {
  convs: [
    conv1d(1, 128, 15, 1, 1, 7),
    conv1d(128, 128, 41, 2, 4, 20),
    conv1d(128, 256, 41, 2, 16, 20),
    conv1d(256, 512, 41, 4, 16, 20),
    conv1d(512, 1024, 41, 4, 16, 20),
    conv1d(1024, 1024, 41, 1, 16, 20),
    conv1d(1024, 1024, 5, 1, 1, 2),
  ],
  post: conv1d(1024, 1, 3, 1, 1, 1),
};

/** DiscriminatorP with the given channel plan: kernel (5,1), stride 3 then 1, padding (2,0). */
function periodStack(channels: readonly number[]): ConvStack {
  const convs = channels.slice(1).map((out, i) => {
    const last = i === channels.length - 2;
    return conv2d(channels[i]!, out, [5, 1], [last ? 1 : 3, 1], 1, [2, 0]);
  });
  return { convs, post: conv2d(channels[channels.length - 1]!, 1, [3, 1], [1, 1], 1, [1, 0]) };
}

/** HiFi-GAN / VITS / GPT-SoVITS DiscriminatorP: 1-32-128-512-1024-1024. */
export const HIFIGAN_PERIOD: ConvStack = periodStack([1, 32, 128, 512, 1024, 1024]);

/** UnivNet / so-vits-svc 5.0 DiscriminatorP: 1-64-128-256-512-1024. */
export const UNIVNET_PERIOD: ConvStack = periodStack([1, 64, 128, 256, 512, 1024]);

/** UnivNet DiscriminatorR (multi-resolution): frequency is height, time is width. */
export const UNIVNET_RESOLUTION: ConvStack = {
  convs: [
    conv2d(1, 32, [3, 9], [1, 1], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 9], [1, 2], 1, [1, 4]),
    conv2d(32, 32, [3, 3], [1, 1], 1, [1, 1]),
  ],
  post: conv2d(32, 1, [3, 3], [1, 1], 1, [1, 1]),
};

export interface Resolution {
  readonly nFft: number;
  readonly hop: number;
  readonly win: number;
}

export function conv2dDilated(
  inCh: number,
  out: number,
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  dilation: [number, number],
  norm?: ConvNorm,
): ConvLayer {
  return { in: inCh, out, kernel, stride, groups: 1, padding, ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}), ...(norm ? { norm } : {}) };
}

/**
 * The EnCodec DiscriminatorSTFT stack that BigVGAN v2's CQT-D copies, (time, frequency)
 * kernels: convs.0 without norm, then strides (1, 2) with time dilations 1, 2, 4, a (3, 3)
 * conv and a (3, 3) post conv.
 */
export function encodecStack(inCh: number, filters: number): ConvStack {
  return {
    convs: [
      conv2dDilated(inCh, filters, [3, 9], [1, 1], [1, 4], [1, 1], 'none'),
      conv2dDilated(filters, filters, [3, 9], [1, 2], [1, 4], [1, 1]),
      conv2dDilated(filters, filters, [3, 9], [1, 2], [2, 4], [2, 1]),
      conv2dDilated(filters, filters, [3, 9], [1, 2], [4, 4], [4, 1]),
      conv2dDilated(filters, filters, [3, 3], [1, 1], [1, 1], [1, 1]),
    ],
    post: conv2dDilated(filters, 1, [3, 3], [1, 1], [1, 1], [1, 1]),
  };
}

/**
 * StyleTTS 2's DiscriminatorR (MultiResSpecDiscriminator): the UnivNet stack, but over
 * [frames, bins] (time-first kernels; the same numbers as UNIVNET_RESOLUTION).
 */
export const STYLETTS2_RESOLUTION: ConvStack = UNIVNET_RESOLUTION;
