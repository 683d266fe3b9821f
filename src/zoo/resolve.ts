/** The entry point: a zoo name (or entry) to a verified local file, via the cache or a download. */
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import { findModel, modelNames, type ZooEntry } from '../model/zoo.js';
import { cachedState, ensureDir } from './cache.js';
import { makeContext, type ResolveModelOptions } from './config.js';
import { downloadWithRetries } from './download.js';
import { cancelled, offlineError } from './messages.js';
import { acquireLock } from './lock.js';

export interface ResolvedModelFile {
  /** Absolute path of the verified checkpoint. */
  readonly path: string;
  readonly entry: ZooEntry;
  /** True when this call completed a download (possibly resuming an earlier one); false for a cache hit. */
  readonly downloaded: boolean;
}

/**
 * Returns the local path of a zoo checkpoint, downloading it into the cache first if needed.
 * `model` is a zoo name or an entry object (tests and private zoos). Every failure a user can
 * cause or fix is a one-line UsageError naming the URL and the cache path.
 */
export async function resolveModelFile(
  model: string | ZooEntry,
  options: ResolveModelOptions = {},
): Promise<ResolvedModelFile> {
  const entry = typeof model === 'string' ? lookup(model) : checkEntry(model);
  const ctx = makeContext(entry, options);
  if (options.signal?.aborted) throw cancelled(ctx, 0);

  const state = await cachedState(ctx);
  if (state === 'ok') return { path: ctx.target, entry, downloaded: false };
  if (ctx.offline) throw offlineError(ctx, state);

  await ensureDir(ctx);
  const lock = await acquireLock(ctx);
  if (lock === 'cached') return { path: ctx.target, entry, downloaded: false };
  try {
    // Someone may have finished between our first look and taking the lock.
    if ((await cachedState(ctx, true)) === 'ok') return { path: ctx.target, entry, downloaded: false };
    await downloadWithRetries(ctx, lock.token);
    return { path: ctx.target, entry, downloaded: true };
  } finally {
    await lock.release();
  }
}

function lookup(name: string): ZooEntry {
  const entry = findModel(name);
  if (!entry) {
    throw new UsageError(
      `unknown model "${name}"; known models: ${modelNames().join(', ')} (or pass --weights FILE)`,
    );
  }
  return entry;
}

/** Injected entries name cache paths, so they must not be able to escape the cache. */
function checkEntry(entry: ZooEntry): ZooEntry {
  const base = path.posix.basename(entry.file);
  const bad = (what: string) => new UsageError(`model "${entry.name}": ${what}`);
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw bad('sha256 must be 64 lowercase hex digits');
  if (!base || base === '.' || base === '..' || base.includes('\\')) throw bad(`bad file "${entry.file}"`);
  if (entry.bytes !== null && (!Number.isSafeInteger(entry.bytes) || entry.bytes < 0)) throw bad(`bad size ${entry.bytes}`);
  return entry;
}
