/**
 * Discriminator networks described as data. `model` knows shapes and names, never files,
 * ONNX or the CLI: the engine turns these descriptions plus weights into a graph, and the
 * checkpoint loader fills in weights under the same key names.
 *
 * A sub-discriminator is: an input transform (SubInput), optionally an input normalisation,
 * optionally per-chunk pre-convs along the bin axis (`pre`, BigVGAN v2's per-octave convs),
 * a stack of convs each followed by LeakyReLU (`convs`, run once per band where `bands` is
 * set), and one post conv (`post`) whose output is the logits. Which of those outputs are
 * feature maps is `features`; where its tensors live in the checkpoint is `keys`; tensors the
 * checkpoint stores besides the convs (CQT kernels, windows) are `buffers`.
 */

/** How a conv's weight is parametrised upstream: weight norm, spectral norm or a plain weight. */
export type NormKind = 'weight' | 'spectral';
export type ConvNorm = NormKind | 'none';

/** One convolution row of a layer table. 1-D convs have one-element kernel/stride/padding. */
export interface ConvLayer {
  readonly in: number;
  readonly out: number;
  /** Per spatial axis in upstream (PyTorch) order; SubInput says which axis is time. */
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly groups: number;
  /** Symmetric padding per spatial axis, as PyTorch's `padding=` argument. */
  readonly padding: readonly number[];
  /** Per spatial axis, as PyTorch's `dilation=`; absent means 1 on every axis. */
  readonly dilation?: readonly number[];
  /** This conv's upstream parametrisation where it differs from the sub's `norm` (informative: loaders accept any). */
  readonly norm?: ConvNorm;
}

/** Window function of an STFT, `win` taps, zero-padded to n_fft and centred (torch.stft). */
export type StftWindow = 'rectangular' | 'hann';

/**
 * How an STFT pads and frames [N, T]:
 * * `center`: torch.stft center=True, reflect-pad n_fft/2 each side, 1 + T // hop frames;
 * * `none`: no padding, 1 + (T − n_fft) // hop frames (AudioCraft, center=False);
 * * `dac`: DAC's reflect-pad (n_fft − hop)/2 left, (n_fft − hop)/2 + r right with
 *   r = ceil(T/hop)·hop − T, then center=True, dropping the first and last 2 frames.
 */
export type StftFraming = 'center' | 'none' | 'dac';

/** How a sub-discriminator turns a batch of waveforms `[N, T]` into its first feature input. */
export type SubInput =
  /** DiscriminatorS: raw audio `[N,1,T]`, after `pool` cumulative AvgPool1d(4, 2, padding=2). */
  | { readonly kind: 'waveform'; readonly pool: number }
  /**
   * DiscriminatorP: reflect-pad T to a multiple of `period`, view as `[N,1,T/period,period]`
   * (dim2 = time). `alwaysPad`: pad `period − T % period` even when T is a multiple (DAC).
   */
  | { readonly kind: 'period'; readonly period: number; readonly alwaysPad?: boolean }
  /**
   * UnivNet DiscriminatorR: STFT magnitude `[N,1,nFft/2+1,frames]` (rectangular window of
   * `win`, reflect-pad (nFft − hop)/2, no centring): kernels run (frequency, time).
   */
  | { readonly kind: 'resolution'; readonly nFft: number; readonly hop: number; readonly win: number }
  /**
   * A spectrogram laid out `[N, C, frames, bins]` (dim2 = time, dim3 = frequency; kernels run
   * (time, frequency)): C = 1 for `magnitude` |X|, C = 2 for `complex` (real, imag channels).
   * `normalized`: divided by sqrt(Σ window²) (torchaudio normalized=True).
   */
  | {
      readonly kind: 'stft';
      readonly nFft: number;
      readonly hop: number;
      readonly win: number;
      readonly window: StftWindow;
      readonly framing: StftFraming;
      readonly value: 'magnitude' | 'complex';
      readonly normalized?: boolean;
    }
  /**
   * BigVGAN v2's CQT-D input: a 2x resample (stored kernel), nnAudio CQT2010v2 over `octaves`
   * octaves of `binsPerOctave` bins with stored kernels, lowpass filter and lengths (see
   * `buffers`), `[N, 2 (real, imag), frames, bins]` (dim2 = time, dim3 = bin).
   */
  | { readonly kind: 'cqt'; readonly hop: number; readonly octaves: number; readonly binsPerOctave: number };

/** DC removal then peak normalisation: y ← y − mean(y); y ← 0.8 · y / (max|y| + 1e-9), per window. */
export type InputNormalization = 'dc-peak';

/** Which of a sub's outputs its family's feature-matching loss compares, in upstream order. */
export interface FeatureSelection {
  /** Leading convs (of each band, where there are bands) whose activations are not feature maps (Vocos: 1). */
  readonly skipFirst: number;
  /** Whether the post conv's output (the logits) is the last feature map. */
  readonly post: boolean;
}

/** The default: every conv's activation, then the post conv's output (HiFi-GAN, VITS, RVC ...). */
export const ALL_FEATURES: FeatureSelection = { skipFirst: 0, post: true };

/**
 * Key templates relative to the sub's prefix. `{i}` is the conv's index in `convs`, `{b}` the
 * band's index. Defaults `convs.{i}` and `conv_post`; DAC `convs.{i}.0`, AudioCraft
 * `convs.{i}.conv` / `conv_post.conv`, StyleTTS 2's MRSD `discriminators.{i}` / `out`,
 * DAC/Vocos bands `band_convs.{b}.{i}(.0)`.
 */
export interface KeyTemplates {
  readonly conv: string;
  readonly post: string;
}

export const DEFAULT_KEYS: KeyTemplates = { conv: 'convs.{i}', post: 'conv_post' };

/**
 * Convs applied to equal chunks of the input along the bin axis, one conv per chunk, no
 * activation, outputs concatenated back along the bins (BigVGAN v2's per-octave `conv_pres`).
 * Not feature maps.
 */
export interface ChunkConvs {
  /** Key template relative to the prefix, `{c}` = chunk index: `conv_pres.{c}`. */
  readonly key: string;
  readonly count: number;
  readonly layer: ConvLayer;
}

/**
 * Frequency bands (DAC, Vocos): the input's bins split into ranges [floor(lo·F), floor(hi·F))
 * of its F bins, each through its own copy of `convs` (key template with `{b}`), the band
 * outputs concatenated along the bins before the shared `post`.
 */
export interface BandSplit {
  readonly fractions: readonly (readonly [number, number])[];
}

/**
 * A tensor the checkpoint stores under `<prefix>.<key>` besides the convs. `read`: the graph
 * uses the stored values (required). `known`: upstream stores it but it is recomputed here;
 * the loader accepts it (so the unused-key check does not flag it) but never reads it.
 */
export interface BufferSpec {
  readonly key: string;
  readonly use: 'read' | 'known';
}

export interface SubDiscriminatorSpec {
  /** Short name used in output columns: `s`, `p2`, `r1024`, `s0`, ... */
  readonly name: string;
  /** Key prefix in the family's canonical (flattened) state dict, e.g. `discriminators.1`. */
  readonly prefix: string;
  readonly input: SubInput;
  /** LeakyReLU negative slope applied after every conv in `convs` (not after `post` or `pre`). */
  readonly slope: number;
  readonly convs: readonly ConvLayer[];
  readonly post: ConvLayer;
  /** The parametrisation upstream training uses (informative; loaders accept any). */
  readonly norm: NormKind;
  /** Absent: ALL_FEATURES. */
  readonly features?: FeatureSelection;
  /** Absent: DEFAULT_KEYS. */
  readonly keys?: KeyTemplates;
  /** Normalisation of this sub's input (Vocos' MRD); see also FamilySpec.normalize. */
  readonly normalize?: InputNormalization;
  readonly pre?: ChunkConvs;
  readonly bands?: BandSplit;
  readonly buffers?: readonly BufferSpec[];
  /**
   * The logits' shape as upstream returns them: `flat` (flatten(post output)) or `map`.
   * Informative: scores are means over all logit elements either way.
   */
  readonly logits?: 'flat' | 'map';
}

export type FamilyName =
  | 'gpt-sovits'
  | 'gpt-sovits-v2pro'
  | 'sovits5'
  | 'hifigan'
  | 'bigvgan-v1'
  | 'rvc-v1'
  | 'rvc-v2'
  | 'bigvgan-v2'
  | 'dac'
  | 'vocos'
  | 'encodec'
  | 'styletts2';

export interface FamilySpec {
  readonly name: FamilyName;
  /** One line for `--help` and listings. */
  readonly description: string;
  /** The rate the discriminators were trained at; audio is resampled to it. */
  readonly sampleRate: number;
  /** Sub-discriminators in checkpoint order, with the full-size (upstream default) widths. */
  readonly subs: readonly SubDiscriminatorSpec[];
  /** Upstream source, for people who want to check the table. */
  readonly source: string;
  /** Normalisation of the input of every sub, done once (DAC). */
  readonly normalize?: InputNormalization;
  /**
   * Canonical key prefixes (ending in `.`) that upstream stores beside the scored
   * discriminators and that are deliberately left out (StyleTTS 2's WavLM `wd.`): known to
   * the unused-key check, never read.
   */
  readonly ignored?: readonly string[];
}

/** A dense float32 tensor in C order. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Effective (norm-folded) weights keyed `<conv key>.weight|bias` (see convEntries in keys.ts),
 * plus the sub's `read` buffers under `<prefix>.<buffer key>`.
 */
export type WeightMap = ReadonlyMap<string, Float32Tensor>;

/** A family whose layer widths and groups have been read off a concrete set of weights. */
export interface ResolvedModel {
  readonly family: FamilySpec;
  readonly subs: readonly SubDiscriminatorSpec[];
  readonly weights: WeightMap;
}
