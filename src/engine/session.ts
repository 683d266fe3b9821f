/**
 * Creating one onnxruntime session for a graph, through the optimized-session cache where one
 * is given (see session-cache.ts): a hit loads the saved optimized graph with optimizations
 * off and never builds the graph; a miss builds it, lets onnxruntime optimize and save it, then
 * loads the saved file like a hit, so that every run uses the very same session.
 */
import * as ort from 'onnxruntime-node';
import { discardEntry, findEntry, sessionKey, storeEntry, WEIGHTS_FILE } from './session-cache.js';

export interface SessionSource {
  /** Builds the graph's ONNX bytes; called at most once, and only when no cached session fits. */
  readonly build: () => Uint8Array;
  /**
   * What the graph's bytes are a function of, besides this build's code: layer table, weights
   * identity (seed or checkpoint hash), mode. Equal recipes must give equal graphs.
   */
  readonly recipe: unknown;
}

export interface SessionCacheOptions {
  /** Folder of cached sessions (`<cache root>/sessions`). */
  readonly dir: string;
}

type SessionOptions = ort.InferenceSession.SessionOptions;

/** Optimization levels: everything when building, nothing when loading an optimized graph. */
const OPTIMIZE: SessionOptions = { graphOptimizationLevel: 'all' };
const LOAD_OPTIMIZED: SessionOptions = { graphOptimizationLevel: 'disabled' };

export async function openSession(source: SessionSource, options: SessionOptions, cache: SessionCacheOptions | undefined): Promise<ort.InferenceSession> {
  let bytes: Uint8Array | undefined;
  const graph = () => (bytes ??= source.build());
  if (!cache) return ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE });

  let key: string;
  try {
    key = sessionKey({ recipe: source.recipe, onnxruntime: ort.env.versions.node, options });
  } catch {
    // This build's own files could not be read for the key: no cache rather than a wrong one.
    return ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE });
  }
  const hit = await findEntry(cache.dir, key);
  if (hit) {
    const session = await ort.InferenceSession.create(hit.modelFile, { ...options, ...LOAD_OPTIMIZED }).catch(() => null);
    if (session && (await hit.weightsVerified)) return session;
    // Damaged weights, or a graph onnxruntime refuses although it matched its hash: rebuild.
    await session?.release();
    await discardEntry(hit.modelFile);
  }
  const stored = await storeEntry(cache.dir, key, async (temp) => {
    const optimizing = await ort.InferenceSession.create(graph(), {
      ...options,
      ...OPTIMIZE,
      optimizedModelFilePath: temp,
      // onnxruntime-node takes config entries flat ("session.…": string).
      extra: { ...options.extra, 'session.optimized_model_external_initializers_file_name': WEIGHTS_FILE },
    });
    await optimizing.release();
  });
  if (stored) {
    bytes = undefined; // the graph's copy of the weights can go before the session's arrives
    // (Should the entry vanish before it loads, pruned by another process, build once more.)
    return ort.InferenceSession.create(stored, { ...options, ...LOAD_OPTIMIZED }).catch(() => ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE }));
  }
  return ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE });
}
