/**
 * The typed results of scoring, shared by the pipeline (which produces them), the report
 * writers (which turn them into CSV/JSON/JSONL rows) and library users.
 */

export type PairStatus = 'ok' | 'error' | 'unpaired';

/** Scores of one sub-discriminator for one pair (means over the pair's windows). */
export interface SubScores {
  /** `s`, `p2`, `r1024`, `s0`, ... */
  readonly name: string;
  /** 2 × Σ_layers mean|f_ref − f_syn| (null in syn-only mode). */
  readonly fm: number | null;
  /** mean((1 − D(syn))²) */
  readonly gen: number;
  /** mean((1 − D(ref))²) (null in syn-only mode). */
  readonly real: number | null;
  /** mean(D(syn)²) */
  readonly fake: number;
  /** Per layer mean|f_ref − f_syn| without the factor 2 (empty in syn-only mode). */
  readonly fmLayers: readonly number[];
}

/** Totals over sub-discriminators, the GPT-SoVITS loss definitions (no division by their count). */
export interface PairTotals {
  readonly fm: number | null;
  readonly gen: number;
  readonly real: number | null;
  readonly fake: number;
  /** real + fake (null in syn-only mode). */
  readonly disc: number | null;
  /** Mean |log-mel(ref) − log-mel(syn)| with the GPT-SoVITS mel at 32 kHz (null in syn-only mode). */
  readonly melL1: number | null;
  /**
   * The same mel distance along the best dynamic-time-warping path between the whole files
   * (src/align/mel-dtw.ts; null in syn-only mode). Always set by the scorer.
   */
  readonly melDtw?: number | null;
}

/** One output record: a scored pair, a pair that failed, or a file without a partner. */
export interface PairResult {
  /** Pairing key: relative path without extension (or the manifest's key). */
  readonly key: string;
  /** Reference path as given (empty for syn-only or an unpaired synthesized file). */
  readonly ref: string;
  /** Synthesized path as given (empty for an unpaired reference). */
  readonly syn: string;
  readonly status: PairStatus;
  /** Plain-words message naming the file and the problem; empty when ok. */
  readonly error: string;
  /** Model sample rate the scores were computed at. */
  readonly sampleRate: number;
  /** Durations of the decoded files before trimming, in seconds (null when unknown). */
  readonly refSeconds: number | null;
  readonly synSeconds: number | null;
  /** Decoded formats (`wav`, `flac`, `mp3`, `ogg-vorbis`, `ogg-opus`...) and the files' own rates (null when unknown). */
  readonly refFormat: string | null;
  readonly synFormat: string | null;
  readonly refSampleRate: number | null;
  readonly synSampleRate: number | null;
  /** Number of windows the pair was cut into (0 when not scored). */
  readonly windows: number;
  /**
   * `--align offset`: how far the synthesized file lags the reference (negative: it leads), in
   * milliseconds, as removed before scoring; null with `--align none`, without a reference, or
   * when no clear offset was found. Always set by the scorer.
   */
  readonly offsetMs?: number | null;
  /**
   * Why the comparison may be unsound (durations differ, no clear offset, damage a decoder
   * read past in either file, as `ref file: ...` / `syn file: ...`), reasons joined by "; ";
   * empty when there is none. Always set by the scorer.
   */
  readonly warning?: string;
  /** Null unless status is ok. */
  readonly totals: PairTotals | null;
  /** In the model's sub-discriminator order; empty unless status is ok. */
  readonly subs: readonly SubScores[];
  /**
   * `--loss native`: the family's own training losses for this pair (means over its windows),
   * named as upstream logs them (model/native-loss.ts); absent or null otherwise.
   */
  readonly native?: Readonly<Record<string, number>> | null;
}

/** What was scored with: recorded in every output so results can be traced and merged safely. */
export interface ModelInfo {
  readonly family: string;
  readonly sampleRate: number;
  /**
   * Where `sampleRate` came from: `--sample-rate`, `<field> in the checkpoint`, `<field> in
   * <config file>`, or `family default (<family>)`; null in records written before it existed.
   */
  readonly sampleRateSource?: string | null;
  /** Sub-discriminator names in order. */
  readonly subs: readonly string[];
  /** `untrained` (deterministic init) or `checkpoint`. */
  readonly weights: 'untrained' | 'checkpoint';
  /** Base seed of the untrained init (null with a checkpoint). */
  readonly seed: number | null;
  readonly checkpoint: string | null;
  readonly sha256: string | null;
  /** Storage precision of the checkpoint (e.g. `float16`), null when untrained. */
  readonly precision: string | null;
  /** Execution provider that actually ran (`cpu`, `webgpu`, `cuda`). */
  readonly provider: string;
  /** The GPU adapter's name (e.g. `NVIDIA H100 80GB HBM3`); null on CPU and where it cannot be named. */
  readonly adapter: string | null;
  /** Window length in model samples (0 = whole files). */
  readonly segmentSamples: number;
  /**
   * `--align`: `offset` (one constant delay per pair removed) or `none`; empty when unknown (a
   * report written before alignment existed).
   */
  readonly align: 'offset' | 'none' | '';
  /** Largest |offset| searched, in model samples (0 with `none` or unknown). */
  readonly maxOffsetSamples: number;
  /**
   * `--loss`: `standard` (fm, gen, real, fake, disc only) or `native` (also each result's
   * `native` values, named in `nativeLosses`). Absent in reports written before it existed.
   */
  readonly loss?: 'standard' | 'native';
  /** With `loss: 'native'`: the names of the native values, in column order. */
  readonly nativeLosses?: readonly string[];
}
