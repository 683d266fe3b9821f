/**
 * Creating one onnxruntime session for a graph, through the optimized-session cache where one
 * is given (see session-cache.ts): a hit loads the saved optimized graph with optimizations
 * off and never builds the graph; a miss builds it, lets onnxruntime optimize and save it, then
 * loads the saved file like a hit, so that every run uses the very same session.
 */
import { open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ExternalModel } from './onnx-graph.js';
import { repairModelFile } from './optimized-model.js';
import { discardEntry, findEntry, sessionKey, storeEntry, WEIGHTS_FILE } from './session-cache.js';

/** A graph ready to serialise, inline or with its weights in a file of their own. */
export interface BuiltModel {
  bytes(): Uint8Array;
  external(dataFile: string): ExternalModel;
}

export interface SessionSource {
  /** Builds the graph; called at most once, and only when no cached session fits. */
  readonly build: () => BuiltModel;
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

// The unoptimized graph handed to onnxruntime on a cache miss, in the entry's temp folder and
// removed before the entry is stored.
const SOURCE_MODEL = 'source.onnx';
const SOURCE_WEIGHTS = 'source.bin';

/**
 * Writes the graph and its weights into `folder` for onnxruntime to read. From a file the
 * weights are read (or mapped) once; from a buffer, onnxruntime parses a copy of the whole
 * model first: for a full-size model that was two extra copies of its weights at the peak of
 * a cold start (the serialised buffer and the parsed one).
 */
async function writeSource(model: BuiltModel, folder: string): Promise<string> {
  const { model: graph, data } = model.external(SOURCE_WEIGHTS);
  const weights = await open(path.join(folder, SOURCE_WEIGHTS), 'w');
  try {
    for (const chunk of data) await weights.write(chunk);
  } finally {
    await weights.close();
  }
  const file = path.join(folder, SOURCE_MODEL);
  await writeFile(file, graph);
  return file;
}

export async function openSession(source: SessionSource, options: SessionOptions, cache: SessionCacheOptions | undefined): Promise<ort.InferenceSession> {
  let built: BuiltModel | undefined;
  const graph = () => (built ??= source.build()).bytes();
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
    const folder = path.dirname(temp);
    try {
      const optimizing = await ort.InferenceSession.create(await writeSource((built ??= source.build()), folder), {
        ...options,
        ...OPTIMIZE,
        optimizedModelFilePath: temp,
        // onnxruntime-node takes config entries flat ("session.…": string).
        extra: { ...options.extra, 'session.optimized_model_external_initializers_file_name': WEIGHTS_FILE },
      });
      await optimizing.release();
      // onnxruntime writes subgraphs' initializers twice and cannot load the result (optimized-model.ts).
      repairModelFile(temp, WEIGHTS_FILE);
    } finally {
      await Promise.all([SOURCE_MODEL, SOURCE_WEIGHTS].map((name) => rm(path.join(folder, name), { force: true })));
    }
  }).catch(() => {
    // Writing the entry failed (a disk that filled up, say): optimize in memory below, as
    // without a cache. A graph onnxruntime refuses fails there too, with its own message.
    return null;
  });
  if (stored) {
    built = undefined; // the graph's hold on the weights can go before the session's arrive
    // (Should the entry vanish before it loads, pruned by another process, build once more.)
    return ort.InferenceSession.create(stored, { ...options, ...LOAD_OPTIMIZED }).catch(() => ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE }));
  }
  return ort.InferenceSession.create(graph(), { ...options, ...OPTIMIZE });
}
