// Convolution FLOP counts of a discriminator family at a given input length, from its layer
// table (the same data the engine builds graphs from). Used to turn timings into GFLOP/s.
//
// "Model FLOPs" are the discriminators' own convolutions, the work any implementation must
// do. The STFT that tts-critic runs as a convolution (PyTorch uses an FFT) is implementation
// overhead and is counted apart, never in the achieved rate.

import { phaseCount } from '../dist/engine/stft.js';
import { cqtOctaveLengths, stftFrames } from '../dist/model/index.js';

function convOut(length, kernel, stride, padding, dilation = 1) {
  return Math.floor((length + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** MACs of one conv on a [channels, ...spatial] input; returns [macs, outputSpatial]. */
function convMacs(layer, spatial) {
  const out = spatial.map((n, i) => convOut(n, layer.kernel[i], layer.stride[i], layer.padding[i], layer.dilation?.[i] ?? 1));
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

/**
 * MACs of BigVGAN v2's CQT as tts-critic computes it (src/engine/cqt.ts): the 2x resampler, the
 * lowpass halvings and every octave's strided conv with its 2·bpo kernels (the kernel length
 * is the rate's: 256 for 24 bins per octave at 48 kHz, 512 for 36 and 48).
 */
function cqtMacs(input, samples, kernelTaps) {
  const lengths = cqtOctaveLengths(samples, input.octaves);
  const frames = Math.floor((2 * samples) / input.hop) + 1;
  return 2 * 15 * (samples + 1) + lengths.slice(1).reduce((sum, n) => sum + 256 * n, 0) + input.octaves * frames * 2 * input.binsPerOctave * kernelTaps;
}

/** { model, stft } MACs to run one sub-discriminator on one signal of `samples` samples. */
export function subMacs(sub, samples, weights) {
  let spatial;
  let stft = 0;
  const input = sub.input;
  if (input.kind === 'stft' || input.kind === 'cqt') return imageMacs(sub, samples, weights);
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

/**
 * The newer spectrogram subs, [C, frames, bins] with (time, frequency) kernels: the transform
 * (STFT as a split DFT, or the CQT), the per-octave pre convs, each band's stack and the post.
 */
function imageMacs(sub, samples, weights) {
  const input = sub.input;
  let frames;
  let bins;
  let transform;
  if (input.kind === 'stft') {
    frames = stftFrames(input, samples);
    bins = input.nFft / 2 + 1;
    transform = frames * stftMacsPerFrame(input);
  } else {
    frames = Math.floor((2 * samples) / input.hop) + 1;
    bins = input.octaves * input.binsPerOctave;
    const taps = weights?.get(`${sub.prefix}.cqt_transform.cqt_kernels_real`)?.shape[2] ?? 512;
    transform = cqtMacs(input, samples, taps);
  }
  let model = 0;
  if (sub.pre) model += sub.pre.count * convMacs(sub.pre.layer, [frames, input.kind === 'cqt' ? input.binsPerOctave : bins])[0];
  const ranges = sub.bands ? sub.bands.fractions.map(([lo, hi]) => Math.floor(hi * bins) - Math.floor(lo * bins)) : [bins];
  let joined = 0;
  let height = frames;
  for (const width of ranges) {
    let spatial = [frames, width];
    for (const layer of sub.convs) {
      const [m, out] = convMacs(layer, spatial);
      model += m;
      spatial = out;
    }
    height = spatial[0];
    joined += spatial[1];
  }
  model += convMacs(sub.post, [height, joined])[0];
  return { model, stft: transform };
}

/** Model FLOPs (2 per MAC) to score one ref/syn pair window of `samples` samples with every sub. */
export function pairFlops(subs, samples, weights) {
  return 2 * 2 * subs.reduce((total, sub) => total + subMacs(sub, samples, weights).model, 0);
}

/** The STFT-as-convolution (and CQT) FLOPs of the same window (not model work; reported apart). */
export function pairStftFlops(subs, samples, weights) {
  return 2 * 2 * subs.reduce((total, sub) => total + subMacs(sub, samples, weights).stft, 0);
}
