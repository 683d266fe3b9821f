/**
 * All contact with onnxruntime-node lives here: session creation on the chosen provider and
 * batched runs of equal-length windows. Inputs go in as one [B,T] tensor per side; what comes
 * back is only the in-graph reductions (a few numbers per window).
 */
import * as ort from 'onnxruntime-node';
import { UsageError, messageOf } from '../errors.js';
import type { ResolvedModel } from '../model/types.js';
import { buildDiscriminatorGraph, buildDiscriminatorParts, layerCountsOf, type GraphMode } from './discriminator-graph.js';
import { nativeTermsOf } from '../model/native-loss.js';
import { NATIVE_COLUMNS } from './native-scores.js';
import { type Device, type Provider, providerCandidates, providerConfig, providerHint } from './providers.js';
import { openSession, type SessionCacheOptions } from './session.js';

export interface EngineOptions {
  readonly device?: Device;
  /** Intra-op threads; default: onnxruntime's choice (one per physical core). */
  readonly threads?: number;
  /** Called with one-line notices, e.g. a provider fallback under `auto`. */
  readonly onNotice?: (message: string) => void;
  /**
   * Cache optimized CPU sessions in this folder, keyed by the graph's recipe plus
   * `weightsId`: what the weights are (`untrained:seed=0`, `sha256:<checkpoint hash>`).
   */
  readonly sessionCache?: SessionCacheOptions & { readonly weightsId: string };
  /**
   * Pair mode: also compute the terms the family's own losses need beyond the standard scores
   * (`--loss native`; model/native-loss.ts). Families whose native losses are the standard
   * LSGAN ones, or derive from the standard scores alone (DAC), get the standard graph.
   */
  readonly native?: boolean;
}

/** Reduced scores of one window (pair mode fills every field; syn-only leaves fmLayers/real empty). */
export interface WindowScores {
  /** mean |f_ref − f_syn| per feature map, all subs concatenated in model order. */
  readonly fmLayers: Float32Array;
  readonly real: Float32Array;
  readonly fake: Float32Array;
  readonly gen: Float32Array;
  /** The native loss terms (`EngineOptions.native`): per sub its `nativeColumns` values, in model order; absent or empty otherwise. */
  readonly native?: Float32Array;
}

// Applied when onnxruntime initialises (first session): provider libraries that fail to load
// are reported by us, with a hint, instead of as raw native log lines.
ort.env.logLevel = 'fatal';

export class DiscriminatorEngine {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly mode: GraphMode,
    readonly provider: Provider,
    /** Feature maps per sub-discriminator, in model order. */
    readonly layerCounts: readonly number[],
    /** Names of the native loss terms each sub gets per window (empty without them). */
    readonly nativeColumns: readonly string[] = [],
  ) {}

  static async create(model: ResolvedModel, mode: GraphMode, options: EngineOptions = {}): Promise<DiscriminatorEngine> {
    const candidates = providerCandidates(options.device ?? 'cpu');
    const failures: string[] = [];
    const native = options.native && mode === 'pair' ? (nativeTermsOf(model.family) ?? undefined) : undefined;
    for (const provider of candidates) {
      // Without native terms the options (and so the session cache's recipe) are the standard graph's.
      const graphOptions = { isolateSubs: provider === 'cpu', ...(native ? { native } : {}) };
      const source = {
        build: () => buildDiscriminatorGraph(model, mode, graphOptions),
        ...(graphOptions.isolateSubs ? { parts: () => buildDiscriminatorParts(model, mode, native) } : {}),
        recipe: { family: model.family.name, sampleRate: model.family.sampleRate, subs: model.subs, weights: options.sessionCache?.weightsId, mode, graphOptions },
      };
      try {
        const session = await openSession(source, {
          executionProviders: [providerConfig(provider)],
          // Window lengths vary from call to call; a memory pattern planned for one shape only
          // adds a re-plan and keeps a second arena alive (measured: 1.4 GB -> 1.0 GB peak for a
          // 1 s sovits5 window at equal speed; for fixed 2 s windows 586 -> 858 MB). The CPU
          // arena stays on: without it a 2 s sovits5 window took 30% more CPU and its peak RSS
          // did not drop (glibc keeps the freed blocks), measured.
          enableMemPattern: false,
          // Every failure reaches us as an exception we word ourselves; onnxruntime's own
          // console logging would repeat it as colour-coded noise on stderr.
          logSeverityLevel: 4,
          ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
        }, sessionCacheFor(provider, options));
        if (failures.length > 0) {
          options.onNotice?.(`${failures.join('; ')}; running on ${provider} instead`);
        }
        return new DiscriminatorEngine(session, mode, provider, layerCountsOf(model), native ? NATIVE_COLUMNS[native] : []);
      } catch (error) {
        failures.push(`${provider}: ${providerHint(provider)} (${firstLine(messageOf(error))})`);
      }
    }
    throw new UsageError(`could not start onnxruntime: ${failures.join('; ')}`);
  }

  /**
   * Scores a batch of equal-length windows. `ref` is required in pair mode and must match
   * `syn` in count and length.
   */
  async run(ref: readonly Float32Array[] | null, syn: readonly Float32Array[]): Promise<WindowScores[]> {
    const count = syn.length;
    if (count === 0) return [];
    const length = syn[0]!.length;
    const feeds: Record<string, ort.Tensor> = { syn: stack(syn, length) };
    if (this.mode === 'pair') {
      if (!ref || ref.length !== count) throw new Error('internal: pair mode needs one ref window per syn window');
      feeds.ref = stack(ref, length);
    }
    const out = await this.session.run(feeds);
    const fake = out.fake!.data as Float32Array;
    const gen = out.gen!.data as Float32Array;
    const real = this.mode === 'pair' ? (out.real!.data as Float32Array) : new Float32Array(0);
    const fmLayers = this.mode === 'pair' ? (out.fm_layers!.data as Float32Array) : new Float32Array(0);
    const native = out.native ? (out.native.data as Float32Array) : new Float32Array(0);
    const nativeWidth = this.layerCounts.length * this.nativeColumns.length;
    const subs = this.layerCounts.length;
    const layers = this.layerCounts.reduce((a, b) => a + b, 0);
    const results: WindowScores[] = [];
    for (let i = 0; i < count; i++) {
      results.push({
        fmLayers: this.mode === 'pair' ? fmLayers.slice(i * layers, (i + 1) * layers) : fmLayers,
        real: this.mode === 'pair' ? real.slice(i * subs, (i + 1) * subs) : real,
        fake: fake.slice(i * subs, (i + 1) * subs),
        gen: gen.slice(i * subs, (i + 1) * subs),
        native: native.slice(i * nativeWidth, (i + 1) * nativeWidth),
      });
    }
    for (const tensor of Object.values(out)) tensor.dispose();
    return results;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Only CPU sessions are cached: a GPU provider's saved graph would hold its own memory-copy
 * nodes and kernels, and on a GPU the CPU's NCHWc transform, the cost the cache saves, does
 * not run at all.
 */
function sessionCacheFor(provider: Provider, options: EngineOptions): SessionCacheOptions | undefined {
  return provider === 'cpu' && options.sessionCache ? { dir: options.sessionCache.dir } : undefined;
}

function stack(windows: readonly Float32Array[], length: number): ort.Tensor {
  if (windows.length === 1) return new ort.Tensor('float32', windows[0]!, [1, length]);
  const data = new Float32Array(windows.length * length);
  windows.forEach((w, i) => {
    if (w.length !== length) throw new Error('internal: windows in one batch must have equal length');
    data.set(w, i * length);
  });
  return new ort.Tensor('float32', data, [windows.length, length]);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
