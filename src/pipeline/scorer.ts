/**
 * The library's scoring session: choose weights (untrained, a checkpoint file or a zoo
 * model), build the engine once, then score any number of pairs. The CLI is a thin shell
 * around this.
 */
import { DEFAULT_MAX_DURATION } from '../audio/limits.js';
import path from 'node:path';
import { cacheRoot } from '../zoo/config.js';
import { openEngine } from '../engine/open-engine.js';
import type { Device } from '../engine/providers.js';
import { CheckpointError, UsageError } from '../errors.js';
import { DEFAULT_FAMILY, findFamily, familyNames, lazyUntrainedWeights, minimumWindow, resolveModel } from '../model/index.js';
import { nativeLossNames, nativeLossOf } from '../model/native-loss.js';
import type { ResolvedModel } from '../model/types.js';
import type { ZooEntry } from '../model/zoo.js';
import type { ModelInfo, PairResult } from '../scores.js';
import { batchPolicy } from './batch-policy.js';
import { discoverPairs, discoverSynOnly, type PairSpec } from './discover.js';
import { checkSampleRate } from '../checkpoint/rate-option.js';
import { ALIGN_MODES, type AlignMode } from './pair-audio.js';

import { scorePairs, type ScoreLoopOptions } from './score-pairs.js';

/** Window length when none is asked for: long enough for stable scores, short enough to keep memory modest. */
export const DEFAULT_SEGMENT_SECONDS = 2;
/**
 * Alignment when none is asked for: a constant delay (vocoder latency, padding, a resampling
 * filter) costs fm more than real quality differences do, and on a pair that is already aligned
 * the search finds 0 and changes nothing (see README, "Which metric when").
 */
export const DEFAULT_ALIGN: AlignMode = 'offset';
/** Largest offset `--align offset` searches when none is given, in seconds. */
export const DEFAULT_MAX_OFFSET_SECONDS = 0.5;

export interface ScorerOptions {
  /** Family name or alias; default: detected from the checkpoint, else `sovits5`. */
  readonly family?: string;
  /** Path of a discriminator checkpoint (.pth, .pt, .safetensors, HiFi-GAN `do_*`). */
  readonly weights?: string;
  /** A published discriminator from the model zoo (e.g. `gpt-sovits-v2`, or an entry of a private zoo), downloaded once. */
  readonly model?: string | ZooEntry;
  /**
   * The rate the networks see, in Hz (`--sample-rate`): default the checkpoint's metadata, else
   * the training config beside it, else the family's. Contradicting the checkpoint's metadata
   * is a UsageError.
   */
  readonly sampleRate?: number;
  /** Base seed of the deterministic untrained init (ignored with a checkpoint). Default 0. */
  readonly seed?: number;
  /** Where the networks run (default `cpu`); see README, "Devices". */
  readonly device?: Device;
  readonly threads?: number;
  /** Window length in seconds; 0 scores whole files in one window. */
  readonly segment?: number;
  /** Most windows per engine call (default: 1 on CPU, where batching gains nothing; on a GPU as many as fit `batchMemory`). */
  readonly batchSize?: number;
  /** GPU memory for one engine call's feature maps, in MiB (default 2048). */
  readonly batchMemory?: number;
  /** Reference-free scoring: only `gen` and `fake` are reported. */
  readonly synOnly?: boolean;
  /**
   * `standard` (default): fm, gen, real, fake, disc, one definition for every family.
   * `native`: also the family's own training losses per pair (PairResult.native).
   */
  readonly loss?: LossMode;
  /** `offset` (default): find and remove one constant delay per pair; `none`: compare the files as they are. */
  readonly align?: AlignMode;
  /** Largest |offset| searched by `align: 'offset'`, in seconds (default 0.5). */
  readonly maxOffset?: number;
  /** Files that decode to more than this many seconds are error rows (default 4 h; src/audio/limits.ts). */
  readonly maxDuration?: number;
  /** Model zoo cache folder and offline switch (see README, "Model zoo"); optimized sessions are cached there too. */
  readonly cacheDir?: string;
  /** Keep optimized CPU sessions in `<cache>/sessions` for a fast start next time (default true). */
  readonly sessionCache?: boolean;
  readonly offline?: boolean;
  readonly onDownloadProgress?: (received: number, total: number | null) => void;
  /** One-line notices for the user (fallbacks, untrained weights, ...). */
  readonly onNotice?: (message: string) => void;
}

export const LOSS_MODES = ['standard', 'native'] as const;
export type LossMode = (typeof LOSS_MODES)[number];

export interface Scorer {
  readonly model: ModelInfo;
  /** Feature maps per sub-discriminator, in `model.subs` order. */
  readonly layerCounts: readonly number[];
  /** Scores pairs in order of completion; unpaired and broken inputs come back as rows. */
  scorePairs(pairs: Iterable<PairSpec> | AsyncIterable<PairSpec>, options?: ScoreLoopOptions): AsyncGenerator<PairResult>;
  /** Pairs two folders by relative path and scores them. */
  scoreFolders(refDir: string, synDir: string, options?: ScoreLoopOptions): AsyncGenerator<PairResult>;
  /** Scores one pair of files. */
  scoreFiles(ref: string, syn: string): Promise<PairResult>;
  dispose(): Promise<void>;
}

interface LoadedWeights {
  readonly model: ResolvedModel;
  readonly info: Pick<ModelInfo, 'weights' | 'seed' | 'checkpoint' | 'sha256' | 'precision' | 'sampleRateSource'>;
}

async function loadWeights(options: ScorerOptions): Promise<LoadedWeights> {
  if (options.weights && options.model) throw new UsageError('give either --weights FILE or --model NAME, not both');
  let checkpointPath = options.weights;
  // A zoo entry knows its training rate where the file may not (RVC's pretrained files).
  let zooRate: { readonly rate: number; readonly name: string } | undefined;
  // The checkpoint reader and the zoo's downloader are loaded only when a run needs them:
  // the default (untrained) model should not pay their start-up.
  if (options.model) {
    const { resolveModelFile } = await import('../zoo/index.js');
    const resolved = await resolveModelFile(options.model, {
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      ...(options.offline ? { offline: true } : {}),
      ...(options.onDownloadProgress ? { onProgress: options.onDownloadProgress } : {}),
    });
    checkpointPath = resolved.path;
    if (resolved.entry.sampleRate !== undefined) zooRate = { rate: resolved.entry.sampleRate, name: resolved.entry.name };
  }
  if (checkpointPath) {
    const { loadCheckpoint } = await import('../checkpoint/index.js');
    const sampleRate = options.sampleRate ?? zooRate?.rate;
    const loadOptions = { ...(options.family ? { family: options.family } : {}), ...(sampleRate !== undefined ? { sampleRate } : {}) };
    const loaded = await loadCheckpoint(checkpointPath, loadOptions).catch((error: unknown) => {
      // Name the file in every message ("D.pth: checkpoint is damaged ..."), once.
      if (error instanceof CheckpointError && !error.message.includes(checkpointPath!)) {
        throw new CheckpointError(`${checkpointPath}: ${error.message}`, { cause: error });
      }
      throw error;
    });
    return {
      model: loaded.model,
      info: {
        weights: 'checkpoint',
        seed: null,
        checkpoint: checkpointPath,
        sha256: loaded.info.sha256,
        precision: loaded.info.precision,
        sampleRateSource: options.sampleRate === undefined && zooRate ? `model zoo entry ${zooRate.name}` : loaded.info.sampleRateSource,
      },
    };
  }
  const known = findFamily(options.family ?? DEFAULT_FAMILY);
  if (!known) throw new UsageError(`unknown family "${options.family}"; known families: ${familyNames().join(', ')}`);
  if (options.sampleRate !== undefined) checkSampleRate(options.sampleRate);
  // Untrained weights follow the rate too (BigVGAN v2's CQT kernels are derived for it).
  const family = options.sampleRate === undefined ? known : { ...known, sampleRate: options.sampleRate };
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got ${seed}`);
  options.onNotice?.(
    `no checkpoint given: using untrained ${family.name} weights (seed ${seed}); feature distances are meaningful ` +
      'for comparisons, but adversarial scores (gen, real, fake, disc) need a trained checkpoint (--weights or --model)',
  );
  return {
    // Lazy: with a cached session the values are never computed.
    model: resolveModel(family, lazyUntrainedWeights(family, seed)),
    info: {
      weights: 'untrained',
      seed,
      checkpoint: null,
      sha256: null,
      precision: null,
      sampleRateSource: options.sampleRate === undefined ? `family default (${family.name})` : '--sample-rate',
    },
  };
}

/** `<cache root>/sessions`: optimized sessions live beside the zoo's models. */
function sessionCacheDir(cacheDir: string | undefined): string {
  return path.join(cacheRoot(cacheDir ? { cacheDir } : {}), 'sessions');
}

/** What the weights are, for the session cache key: the seed, or the checkpoint's hash. */
function weightsId(info: LoadedWeights['info']): string {
  return info.weights === 'untrained' ? `untrained:seed=${info.seed}` : `sha256:${info.sha256}`;
}

export async function createScorer(options: ScorerOptions = {}): Promise<Scorer> {
  const segmentSeconds = options.segment ?? DEFAULT_SEGMENT_SECONDS;
  if (!Number.isFinite(segmentSeconds) || segmentSeconds < 0) throw new UsageError(`--segment must be 0 or a positive number of seconds, got ${options.segment}`);
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new UsageError(`--batch-size must be a positive integer, got ${options.batchSize}`);
  }
  if (options.batchMemory !== undefined && !(Number.isFinite(options.batchMemory) && options.batchMemory > 0)) {
    throw new UsageError(`--batch-memory must be a positive number of MiB, got ${options.batchMemory}`);
  }
  const align = options.align ?? DEFAULT_ALIGN;
  if (!ALIGN_MODES.includes(align)) throw new UsageError(`--align must be one of ${ALIGN_MODES.join(', ')}, got "${String(options.align)}"`);
  const maxOffsetSeconds = options.maxOffset ?? DEFAULT_MAX_OFFSET_SECONDS;
  if (!Number.isFinite(maxOffsetSeconds) || maxOffsetSeconds <= 0) {
    throw new UsageError(`--max-offset must be a positive number of seconds, got ${options.maxOffset}`);
  }
  const loss = options.loss ?? 'standard';
  if (!LOSS_MODES.includes(loss)) throw new UsageError(`--loss must be one of ${LOSS_MODES.join(', ')}, got "${String(options.loss)}"`);
  if (loss === 'native' && options.synOnly) throw new UsageError('--loss native needs the reference recordings: the native losses compare both sides (drop --syn-only)');
  const maxDuration = options.maxDuration ?? DEFAULT_MAX_DURATION;
  if (!Number.isFinite(maxDuration) || maxDuration <= 0) throw new UsageError(`--max-duration must be a positive number of seconds, got ${options.maxDuration}`);
  const { model, info } = await loadWeights(options);
  const sampleRate = model.family.sampleRate;
  const segment = Math.round(segmentSeconds * sampleRate);
  const minimumLength = minimumWindow(model.subs);
  if (segment > 0 && segment < minimumLength) {
    throw new UsageError(
      `--segment ${segmentSeconds} is too short for ${model.family.name}: windows need at least ${minimumLength} samples (${((1000 * minimumLength) / sampleRate).toFixed(2)} ms)`,
    );
  }
  const mode = options.synOnly ? 'syn-only' : 'pair';
  const engine = await openEngine(model, mode, {
    ...(options.device ? { device: options.device } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    ...(loss === 'native' ? { native: true } : {}),
    ...(options.sessionCache === false ? {} : { sessionCache: { dir: sessionCacheDir(options.cacheDir), weightsId: weightsId(info) } }),
  });
  const subNames = model.subs.map((s) => s.name);
  const native = loss === 'native' ? { spec: nativeLossOf(model.family), kinds: model.subs.map((s) => s.input.kind), columns: engine.nativeColumns ?? [] } : null;
  const modelInfo: ModelInfo = {
    family: model.family.name,
    sampleRate,
    subs: subNames,
    ...info,
    provider: engine.provider,
    adapter: engine.adapter?.name ?? null,
    segmentSamples: segment,
    align,
    maxOffsetSamples: align === 'offset' ? Math.round(maxOffsetSeconds * sampleRate) : 0,
    loss,
    ...(native ? { nativeLosses: nativeLossNames(native.spec, native.kinds) } : {}),
  };
  const context = {
    engine,
    subNames,
    sampleRate,
    segment,
    minimumLength,
    align,
    maxOffset: modelInfo.maxOffsetSamples,
    native,
    maxDuration,
    ...batchPolicy({
      provider: engine.provider,
      subs: model.subs,
      sides: mode === 'pair' ? 2 : 1,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.batchMemory !== undefined ? { batchMemoryMiB: options.batchMemory } : {}),
    }),
  };
  const scorer: Scorer = {
    model: modelInfo,
    layerCounts: engine.layerCounts,
    scorePairs: (pairs, loopOptions) => scorePairs(pairs, context, loopOptions),
    async *scoreFolders(refDir, synDir, loopOptions) {
      const pairs = options.synOnly ? await discoverSynOnly(synDir) : await discoverPairs(refDir, synDir);
      yield* scorePairs(pairs, context, loopOptions);
    },
    async scoreFiles(ref, syn) {
      const spec: PairSpec = { key: syn, ref: options.synOnly ? null : ref, syn };
      for await (const result of scorePairs([spec], context)) return result;
      throw new Error('internal: no result for a single pair');
    },
    dispose: () => engine.dispose(),
  };
  return scorer;
}
