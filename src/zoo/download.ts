/**
 * Fetching one file into the cache: claim a partial file, stream the body while hashing it,
 * retry (resuming) on network trouble, then verify and rename into place.
 *
 * Correctness does not rest on the lock (lock.ts): a writer first claims `.part` by renaming
 * it to its own `.part-<id>`, only ever appends to its own file, hashes what it streams, and
 * before the final rename checks that the file on disk has exactly the expected size (any
 * foreign append would show). So even a wrongly broken lock costs a duplicate download, never
 * a corrupt cache.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { UsageError, messageOf } from '../errors.js';
import { fileSize, hashFile, writeMarker } from './cache.js';
import { ownPart, type Context } from './config.js';
import {
  RetryableError,
  cancelled,
  classify,
  diskError,
  httpError,
  keptNote,
  shaMismatch,
  ofBytes,
  sizeMismatch,
  where,
} from './messages.js';
import { cannotContinue, get, parseContentRange } from './http.js';
import { pidAlive } from './lock.js';

/** Downloads into `ctx.target` under the lock whose token is `token`. */
export async function downloadWithRetries(ctx: Context, token: string): Promise<void> {
  const mine = ownPart(ctx, token);
  await claimPartial(ctx, mine);
  const retries = ctx.options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadOnce(ctx, mine);
      return;
    } catch (e) {
      const cancel = ctx.options.signal?.aborted;
      if (e instanceof RetryableError && e.retryable && !cancel && attempt < retries) {
        try {
          await delay((ctx.options.retryDelayMs ?? 1000) * (attempt + 1), undefined, { signal: ctx.options.signal });
          continue;
        } catch {
          // cancelled while waiting: fall through to keep the partial file
        }
      }
      // Hand the partial file back under the shared name so the next run resumes it.
      const kept = await fileSize(mine);
      if (kept) await fs.rename(mine, ctx.part).catch(() => undefined);
      else await fs.rm(mine, { force: true });
      if (ctx.options.signal?.aborted) throw cancelled(ctx, kept ?? 0);
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${messageOf(e)}${keptNote(ctx, kept)}`);
    }
  }
}

/**
 * Takes ownership of the resumable `.part` (rename is atomic: only one process gets it), or
 * else of a partial file left by a writer that died. Other dead leftovers are deleted.
 */
async function claimPartial(ctx: Context, mine: string): Promise<void> {
  try {
    await fs.rename(ctx.part, mine);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw diskError(ctx, e, ctx.part);
  }
  const prefix = `${path.basename(ctx.part)}-`;
  const names = await fs.readdir(ctx.dir).catch(() => [] as string[]);
  let best: { file: string; size: number } | undefined;
  for (const name of names) {
    if (!name.startsWith(prefix) || name === path.basename(mine)) continue;
    const file = path.join(ctx.dir, name);
    const stat = await fs.stat(file).catch(() => undefined);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!stat) continue;
    const dead = !pidAlive(pid) || Date.now() - stat.mtimeMs > ctx.lockStaleMs;
    if (!dead) continue;
    if (!best || stat.size > best.size) {
      if (best) await fs.rm(best.file, { force: true });
      best = { file, size: stat.size };
    } else {
      await fs.rm(file, { force: true });
    }
  }
  if (best) await fs.rename(best.file, mine).catch(() => undefined);
}

/** One HTTP exchange: resume from what `mine` holds, append, verify, rename into place. */
async function downloadOnce(ctx: Context, mine: string): Promise<void> {
  const { entry } = ctx;
  let offset = (await fileSize(mine)) ?? 0;
  if (entry.bytes !== null && offset > entry.bytes) {
    await fs.rm(mine, { force: true });
    offset = 0;
  }
  // On resume the bytes already on disk are hashed first, so the digest covers the whole file.
  let hash = createHash('sha256');
  if (offset > 0) await hashFile(mine, hash);
  if (offset === entry.bytes) return finish(ctx, mine, hash, offset);

  // One controller aborts the request for either reason: the caller's signal or a stall.
  const controller = new AbortController();
  const outer = ctx.options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error('stalled'));
    }, ctx.stallMs);
  };
  let before = offset;
  try {
    kick();
    let response = await get(ctx, offset, controller.signal);
    kick();
    if (offset > 0 && cannotContinue(response, offset)) {
      // 200 (Range ignored), 416 or a 206 for another range: our partial file cannot be
      // continued, so the file starts again (from this very response when it is a full 200).
      if (response.statusCode !== 200) {
        response.resume();
        response = await get(ctx, 0, controller.signal);
        kick();
      }
      await fs.rm(mine, { force: true });
      offset = before = 0;
      hash = createHash('sha256');
    }
    const status = response.statusCode ?? 0;
    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      if (range?.start !== offset) {
        response.resume();
        const got = response.headers['content-range'] ?? 'none';
        throw new RetryableError(`${where(ctx)}: the server answered with an unexpected range (${got})`);
      }
      total = range.total;
    } else if (status === 200) {
      const length = response.headers['content-length'];
      total = length === undefined ? undefined : Number(length);
    } else {
      response.resume();
      throw httpError(ctx, status, response.statusMessage);
    }
    // Fail before downloading 100 MB of the wrong thing (an HTML error page, another version).
    if (total !== undefined && entry.bytes !== null && total !== entry.bytes) {
      response.resume();
      await fs.rm(mine, { force: true });
      throw sizeMismatch(ctx, total);
    }
    await streamBody(ctx, mine, response, hash, offset, kick, controller.signal, entry.bytes ?? total ?? null);
  } catch (e) {
    if (e instanceof UsageError || e instanceof RetryableError) throw e;
    const received = (await fileSize(mine)) ?? 0;
    if (outer?.aborted) throw cancelled(ctx, received);
    if (stalled) {
      throw new RetryableError(
        `${where(ctx)}: no data for ${ctx.stallMs / 1000} s after ${ofBytes(ctx, received)}`,
        received > before,
      );
    }
    throw classify(ctx, e, mine, received);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

async function streamBody(
  ctx: Context,
  mine: string,
  response: IncomingMessage,
  hash: Hash,
  offset: number,
  kick: () => void,
  signal: AbortSignal,
  /** The file's size: the entry's, else what the server announced, else unknown (null). */
  expected: number | null,
): Promise<void> {
  const progress = ctx.options.onProgress;
  let received = offset;
  progress?.(received, expected);
  const onAbort = () => response.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  // Append-only, even for a fresh file: a foreign writer can then only grow the file, which
  // the size check in finish() catches. Each chunk is on disk before the next one is read, so
  // a dropped connection keeps every byte that arrived (a piped write stream would discard
  // its queue), and the hash always describes exactly what is on disk.
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(mine, 'a');
  } catch (e) {
    response.destroy();
    signal.removeEventListener('abort', onAbort);
    throw diskError(ctx, e, mine);
  }
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      kick();
      if (expected !== null && received + chunk.length > expected) {
        response.destroy();
        await handle.close();
        await fs.rm(mine, { force: true });
        throw sizeMismatch(ctx, received + chunk.length, true, expected);
      }
      await writeAll(handle, chunk);
      received += chunk.length;
      hash.update(chunk);
      progress?.(received, expected);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await handle.close().catch(() => undefined);
  }
  if (!response.complete || (expected !== null && received < expected)) {
    throw new RetryableError(`${where(ctx)}: connection closed after ${ofBytes(ctx, received)}`);
  }
  await finish(ctx, mine, hash, received);
}

async function writeAll(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}

/** Size + sha256 check, fsync, atomic rename into the cache, marker. */
async function finish(ctx: Context, mine: string, hash: Hash, received: number): Promise<void> {
  const { entry } = ctx;
  const got = hash.digest('hex');
  const onDisk = await fileSize(mine);
  if (onDisk !== received || (entry.bytes !== null && received !== entry.bytes)) {
    await fs.rm(mine, { force: true });
    throw new RetryableError(
      `${where(ctx)}: partial file changed size during the download (another writer?); starting over`,
    );
  }
  if (got !== entry.sha256) {
    await fs.rm(mine, { force: true });
    throw shaMismatch(ctx, got, received);
  }
  try {
    const handle = await fs.open(mine, 'r');
    await handle.sync().finally(() => handle.close());
    await fs.rename(mine, ctx.target);
  } catch (e) {
    throw diskError(ctx, e, ctx.target);
  }
  await writeMarker(ctx);
}
