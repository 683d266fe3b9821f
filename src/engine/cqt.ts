/**
 * BigVGAN v2's CQT-D input transform as ONNX ops, from the kernels its checkpoints store:
 *
 * 1. torchaudio Resample(fs, 2·fs): after gcd always 1:2, the stored kernel `resample.kernel`
 *    [2, 1, K] (K = 2·width + 1): zero-pad (width, width + 1), conv, interleave the two
 *    output phases, keep 2T samples.
 * 2. nnAudio CQT2010v2 (output "Complex", pad_mode constant): the top octave is one strided
 *    conv of the zero-padded signal with the stored kernels (`cqt_kernels_real`, and
 *    −`cqt_kernels_imag`); each lower octave first halves the signal with the stored
 *    `lowpass_filter` (conv stride 2, padding (taps − 1)/2) and halves the hop. Octaves are
 *    concatenated low to high and bin k is scaled by sqrt(`lenghts`[k]).
 * 3. Real and imaginary parts as 2 channels, [N, 2, frames, bins] (dim2 = time).
 *
 * Each octave's conv has kernels of its own in the graph: the sqrt(length) scaling of its bins
 * is folded into them (no pass over the spectrum), and its real and −imaginary kernels are
 * stacked so one conv gives both. The per-octave pre-convs (`conv_pres`) run as one conv
 * grouped by octave, on the octaves laid out as channels (cqtPreConvs).
 */
import { CQT_BUFFERS, preKey } from '../model/keys.js';
import type { ChunkConvs, Float32Tensor, SubDiscriminatorSpec, WeightMap } from '../model/types.js';
import { attr, type OnnxGraph } from './onnx-graph.js';

type CqtInput = Extract<SubDiscriminatorSpec['input'], { kind: 'cqt' }>;

function buffer(weights: WeightMap, key: string): Float32Tensor {
  const t = weights.get(key);
  if (!t) throw new Error(`internal: buffer "${key}" missing after resolution`);
  return t;
}

/** [N, T] -> [N, 1, 2T] by torchaudio's 1:2 sinc resampling with the stored kernel. */
function upsample2(g: OnnxGraph, audio: string, kernel: Float32Tensor, key: string): string {
  const taps = kernel.shape[2]!;
  const width = (taps - 1) / 2;
  const x = g.node('Unsqueeze', [audio, g.int64([1])]);
  const padded = g.node('Pad', [x, g.int64([0, 0, width, 0, 0, width + 1])]);
  // [N, 2, T + 1] -> [N, T + 1, 2] -> [N, 1, 2T + 2] -> the first 2T samples.
  const phases = g.node('Conv', [padded, g.floatTensor(key, [2, 1, taps], kernel.data)], { kernel_shape: attr.ints([taps]) });
  const interleaved = g.node('Reshape', [g.node('Transpose', [phases], { perm: attr.ints([0, 2, 1]) }), g.int64([0, 1, -1])]);
  return g.node('Slice', [interleaved, g.int64([0]), g.int64([-2]), g.int64([2])]);
}

/**
 * The CQT of audio [N, T] with the octaves as channel pairs: [N, 2·octaves, bins per octave,
 * frames], channel 2·o + c = part c (real, imaginary) of octave o, lowest octave first.
 */
function octaveSpectra(g: OnnxGraph, audio: string, input: CqtInput, weights: WeightMap, prefix: string): string {
  const at = (name: string) => `${prefix}.${name}`;
  const real = buffer(weights, at(CQT_BUFFERS.kernelsReal));
  const imag = buffer(weights, at(CQT_BUFFERS.kernelsImag));
  const lowpass = buffer(weights, at(CQT_BUFFERS.lowpass));
  const lengths = buffer(weights, at(CQT_BUFFERS.lengths));
  const bpo = input.binsPerOctave;
  const taps = real.shape[2]!;
  const lowTaps = lowpass.shape[2]!;
  let x = upsample2(g, audio, buffer(weights, at(CQT_BUFFERS.resample)), at(CQT_BUFFERS.resample));
  let hop = input.hop;
  const octaves: string[] = [];
  for (let d = 0; d < input.octaves; d++) {
    if (d > 0) {
      x = g.node('Conv', [x, g.sharedFloatTensor(at(CQT_BUFFERS.lowpass), [1, 1, lowTaps], () => lowpass.data)], {
        kernel_shape: attr.ints([lowTaps]),
        strides: attr.ints([2]),
        pads: attr.ints([(lowTaps - 1) >> 1, (lowTaps - 1) >> 1]),
      });
      hop = Math.floor(hop / 2);
    }
    // Octave o (0 = lowest) was downsampled d = octaves − 1 − o times.
    const o = input.octaves - 1 - d;
    const kernel = new Float32Array(2 * bpo * taps);
    for (let j = 0; j < bpo; j++) {
      const scale = Math.sqrt(lengths.data[o * bpo + j]!);
      for (let m = 0; m < taps; m++) {
        kernel[j * taps + m] = real.data[j * taps + m]! * scale;
        kernel[(bpo + j) * taps + m] = -imag.data[j * taps + m]! * scale;
      }
    }
    const spectrum = g.node('Conv', [x, g.floatTensor(`${prefix}.cqt_octave${o}`, [2 * bpo, 1, taps], kernel)], {
      kernel_shape: attr.ints([taps]),
      strides: attr.ints([hop]),
      pads: attr.ints([taps >> 1, taps >> 1]),
    });
    // [N, 2·bpo, F] -> [N, 2, bpo, F]
    octaves.unshift(g.node('Reshape', [spectrum, g.int64([0, 2, bpo, -1])]));
  }
  return g.node('Concat', octaves, { axis: attr.int(1) });
}

/** The CQT-D's input, [N, 2, frames, bins], after its per-octave pre-convs where it has them. */
export function cqtInput(g: OnnxGraph, audio: string, sub: SubDiscriminatorSpec, input: CqtInput, weights: WeightMap): string {
  const spectra = octaveSpectra(g, audio, input, weights, sub.prefix);
  // [N, 2·octaves, bpo, F] -> [N, 2·octaves, F, bpo]: time on the height, bins on the width.
  const images = g.node('Transpose', [spectra], { perm: attr.ints([0, 1, 3, 2]) });
  const perOctave = sub.pre ? cqtPreConvs(g, images, sub, sub.pre, input.octaves, weights) : images;
  const channels = sub.pre ? sub.pre.layer.out : 2;
  // [N, octaves·C, F, bpo] -> [N, octaves, C, F, bpo] -> [N, C, F, octaves, bpo] -> [N, C, F, bins]
  const split = g.node('Reshape', [perOctave, g.int64([0, input.octaves, channels, -1, input.binsPerOctave])]);
  const moved = g.node('Transpose', [split], { perm: attr.ints([0, 2, 3, 1, 4]) });
  return g.node('Reshape', [moved, g.int64([0, channels, -1, input.octaves * input.binsPerOctave])]);
}

/** Octave o's own conv (`conv_pres.o`) on its channels, all octaves in one grouped conv. */
function cqtPreConvs(g: OnnxGraph, images: string, sub: SubDiscriminatorSpec, pre: ChunkConvs, octaves: number, weights: WeightMap): string {
  if (pre.count !== octaves) throw new Error(`internal: ${sub.prefix} has ${pre.count} pre convs for ${octaves} octaves`);
  const layer = pre.layer;
  const first = buffer(weights, `${preKey(sub, 0)}.weight`);
  const per = first.data.length;
  const stacked = new Float32Array(octaves * per);
  const biases = new Float32Array(octaves * layer.out);
  for (let o = 0; o < octaves; o++) {
    stacked.set(buffer(weights, `${preKey(sub, o)}.weight`).data, o * per);
    biases.set(buffer(weights, `${preKey(sub, o)}.bias`).data, o * layer.out);
  }
  const dilation = layer.dilation ?? [1, 1];
  return g.node('Conv', [images, g.floatTensor(`${sub.prefix}.pre_weight`, [octaves * layer.out, ...first.shape.slice(1)], stacked), g.floatTensor(`${sub.prefix}.pre_bias`, [octaves * layer.out], biases)], {
    kernel_shape: attr.ints(layer.kernel),
    strides: attr.ints(layer.stride),
    pads: attr.ints([...layer.padding, ...layer.padding]),
    group: attr.int(octaves * layer.groups),
    ...(dilation.some((d) => d !== 1) ? { dilations: attr.ints(dilation) } : {}),
  });
}
