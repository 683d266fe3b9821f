/**
 * Creating one onnxruntime session for a graph, through the optimized-session cache where one
 * is given (see session-cache.ts): a hit loads the saved optimized graph with optimizations
 * off and never builds the graph; a miss builds it, lets onnxruntime optimize and save it, then
 * loads the saved file like a hit, so that every run uses the very same session.
 *
 * A graph given in parts (one per sub-discriminator, see buildDiscriminatorParts) is optimized
 * part by part and assembled, each part an If branch: a cold start then holds one part at a
 * time (sovits5's peak 405 -> 290 MB, gpt-sovits' 613 -> 324 MB, measured), and onnxruntime
 * never saves a graph with subgraphs, which 1.30 does wrongly (it writes a subgraph's
 * initializers twice and refuses its own file: microsoft/onnxruntime PR 32474).
 */
import { open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ExternalModel } from './onnx-graph.js';
import { branchOfModel, type Branch } from './model-parts.js';
import { discardEntry, findEntry, sessionKey, storeEntry, WEIGHTS_FILE } from './session-cache.js';

/** A graph ready to serialise, inline or with its weights in a file of their own. */
export interface BuiltModel {
  bytes(): Uint8Array;
  external(dataFile: string): ExternalModel;
}

/**
 * A graph in parts that onnxruntime optimizes one at a time (see buildDiscriminatorParts): a
 * cold start's peak memory is then that of the largest part, not of the whole model.
 */
export interface PartedModel {
  readonly parts: readonly (() => BuiltModel)[];
  /** The whole model from the parts' optimized graphs, as branches (model-parts.ts), in order. */
  assemble(branches: readonly Branch[]): Uint8Array;
}

export interface SessionSource {
  /** Builds the graph; called at most once, and only when no cached session fits. */
  readonly build: () => BuiltModel;
  /** The same graph in parts, for the cache to optimize part by part (optional). */
  readonly parts?: () => PartedModel;
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

/** Optimizes `model` into the model file `target`, its weights in `dataFile` beside it; removes the source files. */
async function optimizeInto(model: BuiltModel, target: string, dataFile: string, options: SessionOptions): Promise<void> {
  const folder = path.dirname(target);
  try {
    const optimizing = await ort.InferenceSession.create(await writeSource(model, folder), {
      ...options,
      ...OPTIMIZE,
      optimizedModelFilePath: target,
      // onnxruntime-node takes config entries flat ("session.…": string).
      extra: { ...options.extra, 'session.optimized_model_external_initializers_file_name': dataFile },
    });
    await optimizing.release();
  } finally {
    await Promise.all([SOURCE_MODEL, SOURCE_WEIGHTS].map((name) => rm(path.join(folder, name), { force: true })));
  }
}

// Where each part's weights start in the entry's data file: a multiple of any alignment
// onnxruntime gives the weights in the part's own file (it maps page-aligned ones).
const PART_ALIGN = 1 << 16;
const COPY_BLOCK = 4 << 20;

/** Copies the file `from` (when it exists) into `to` at `offset`, block by block; returns the bytes copied. */
async function copyInto(from: string, to: FileHandle, offset: number): Promise<number> {
  const source = await open(from, 'r').catch(() => null);
  if (!source) return 0;
  try {
    const block = Buffer.allocUnsafe(COPY_BLOCK);
    let copied = 0;
    for (;;) {
      const { bytesRead } = await source.read(block, 0, block.length, copied);
      if (bytesRead === 0) return copied;
      await to.write(block, 0, bytesRead, offset + copied);
      copied += bytesRead;
    }
  } finally {
    await source.close();
  }
}

/**
 * A miss in parts: each part optimized on its own, its weights copied into the entry's data
 * file, and the model assembled from the parts' graphs written to `target`.
 */
async function optimizeParts(parted: PartedModel, target: string, options: SessionOptions): Promise<void> {
  const folder = path.dirname(target);
  const weights = await open(path.join(folder, WEIGHTS_FILE), 'w');
  const branches: Branch[] = [];
  try {
    let size = 0;
    for (const [i, part] of parted.parts.entries()) {
      const partModel = path.join(folder, `part${i}.onnx`);
      const partData = `part${i}.bin`;
      try {
        // Each part's graph (and its weights) is built here and dropped after: one at a time.
        await optimizeInto(part(), partModel, partData, options);
        const offset = Math.ceil(size / PART_ALIGN) * PART_ALIGN;
        branches.push(branchOfModel(partModel, { from: partData, to: WEIGHTS_FILE, offset }));
        const copied = await copyInto(path.join(folder, partData), weights, offset);
        if (copied > 0) size = offset + copied;
      } finally {
        await Promise.all([partModel, path.join(folder, partData)].map((file) => rm(file, { force: true })));
      }
    }
  } finally {
    await weights.close();
  }
  await writeFile(target, parted.assemble(branches));
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
    if (source.parts) await optimizeParts(source.parts(), temp, options);
    else await optimizeInto((built ??= source.build()), temp, WEIGHTS_FILE, options);
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
