// Convolution FLOP counts of a discriminator family at a given input length, from its layer
// table (the same data the engine builds graphs from). Used to turn timings into GFLOP/s.
//
// "Model FLOPs" are the discriminators' own convolutions, the work any implementation must
// do. The STFT that tts-critic runs as a convolution (PyTorch uses an FFT) is implementation
// overhead and is counted apart, never in the achieved rate.

import { phaseCount } from '../dist/engine/stft.js';

function convOut(length, kernel, stride, padding) {
  return Math.floor((length + 2 * padding - kernel) / stride) + 1;
}

/** MACs of one conv on a [channels, ...spatial] input; returns [macs, outputSpatial]. */
function convMacs(layer, spatial) {
  const out = spatial.map((n, i) => convOut(n, layer.kernel[i], layer.stride[i], layer.padding[i]));
  const perOutput = (layer.in / layer.groups) * layer.kernel.reduce((a, b) => a * b, 1);
  return [layer.out * out.reduce((a, b) => a * b, 1) * perOutput, out];
}

/**
 * Multiply-adds per frame of the STFT as tts-critic computes it (src/engine/stft.ts): with P
 * phases, a (nFft/P)-point DFT of win/P taps on each phase, then 2P x 2P twiddle products per
 * inner frequency; with P = 1, the direct DFT over the window's taps.
 */
function stftMacsPerFrame({ nFft, hop, win }) {
  const p = phaseCount(nFft, hop, win);
  if (p === 1) return 2 * (nFft / 2 + 1) * win;
  const innerBins = Math.floor(nFft / p / 2) + 1;
  return 2 * innerBins * win + innerBins * 4 * p * p;
}

/** { model, stft } MACs to run one sub-discriminator on one signal of `samples` samples. */
export function subMacs(sub, samples) {
  let spatial;
  let stft = 0;
  const input = sub.input;
  if (input.kind === 'waveform') {
    let n = samples;
    for (let i = 0; i < input.pool; i++) n = Math.floor(n / 2) + 1;
    spatial = [n];
  } else if (input.kind === 'period') {
    spatial = [Math.ceil(samples / input.period), input.period];
  } else {
    const pad = Math.floor((input.nFft - input.hop) / 2);
    const frames = Math.floor((samples + 2 * pad - input.nFft) / input.hop) + 1;
    const bins = input.nFft / 2 + 1;
    stft = frames * stftMacsPerFrame(input);
    spatial = [bins, frames];
  }
  let model = 0;
  for (const layer of [...sub.convs, sub.post]) {
    const [m, out] = convMacs(layer, spatial);
    model += m;
    spatial = out;
  }
  return { model, stft };
}

/** Model FLOPs (2 per MAC) to score one ref/syn pair window of `samples` samples with every sub. */
export function pairFlops(subs, samples) {
  return 2 * 2 * subs.reduce((total, sub) => total + subMacs(sub, samples).model, 0);
}

/** The STFT-as-convolution FLOPs of the same window (not model work; reported apart). */
export function pairStftFlops(subs, samples) {
  return 2 * 2 * subs.reduce((total, sub) => total + subMacs(sub, samples).stft, 0);
}
