/**
 * Discriminator networks described as data. `model` knows shapes and names, never files,
 * ONNX or the CLI: the engine turns these descriptions plus weights into a graph, and the
 * checkpoint loader fills in weights under the same key names.
 */

/** One convolution row of a layer table. 1-D convs have one-element kernel/stride/padding. */
export interface ConvLayer {
  readonly in: number;
  readonly out: number;
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly groups: number;
  /** Symmetric padding per spatial axis, as PyTorch's `padding=` argument. */
  readonly padding: readonly number[];
}

/** How a sub-discriminator turns a batch of waveforms `[N, T]` into its first feature input. */
export type SubInput =
  /** DiscriminatorS: raw audio `[N,1,T]`, after `pool` cumulative AvgPool1d(4, 2, padding=2). */
  | { readonly kind: 'waveform'; readonly pool: number }
  /** DiscriminatorP: reflect-pad T to a multiple of `period`, view as `[N,1,T/period,period]`. */
  | { readonly kind: 'period'; readonly period: number }
  /** DiscriminatorR: STFT magnitude `[N,1,nFft/2+1,frames]` (rectangular window of `win`). */
  | { readonly kind: 'resolution'; readonly nFft: number; readonly hop: number; readonly win: number };

export type NormKind = 'weight' | 'spectral';

export interface SubDiscriminatorSpec {
  /** Short name used in output columns: `s`, `p2`, `r1024`, `s0`, ... */
  readonly name: string;
  /** Key prefix in the family's canonical (flattened) state dict, e.g. `discriminators.1`. */
  readonly prefix: string;
  readonly input: SubInput;
  /** LeakyReLU negative slope applied after every conv in `convs` (not after `post`). */
  readonly slope: number;
  readonly convs: readonly ConvLayer[];
  readonly post: ConvLayer;
  /** The parametrisation upstream training uses (informative; loaders accept any). */
  readonly norm: NormKind;
}

export type FamilyName = 'gpt-sovits' | 'gpt-sovits-v2pro' | 'sovits5' | 'hifigan' | 'bigvgan-v1';

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
}

/** A dense float32 tensor in C order. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Effective (norm-folded) weights keyed `<prefix>.convs.<i>.weight|bias`, `<prefix>.conv_post.weight|bias`. */
export type WeightMap = ReadonlyMap<string, Float32Tensor>;

/** A family whose layer widths and groups have been read off a concrete set of weights. */
export interface ResolvedModel {
  readonly family: FamilySpec;
  readonly subs: readonly SubDiscriminatorSpec[];
  readonly weights: WeightMap;
}
