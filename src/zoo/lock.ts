/**
 * One downloader per cache entry: an exclusive `.lock` file. Others wait, report the holder's
 * progress, and take over when the holder dies. The lock only saves a duplicate download;
 * correctness does not rest on it (see download.ts).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { cachedState, fileSize, readJson } from './cache.js';
import { ownPart, type Context } from './config.js';
import { cancelled, diskError } from './messages.js';

const HEARTBEAT_MS = 2_000;

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

export interface HeldLock {
  /** Names this holder's partial file (see ownPart). */
  readonly token: string;
  release(): Promise<void>;
}

/** Takes the lock, or waits for it; 'cached' when the file got verified while we waited. */
export async function acquireLock(ctx: Context): Promise<HeldLock | 'cached'> {
  const pollMs = ctx.options.lockPollMs ?? 250;
  for (;;) {
    const lock = await tryLock(ctx);
    if (lock) return lock;
    if ((await cachedState(ctx)) === 'ok') return 'cached';
    const info = await readJson<LockInfo>(ctx.lockPath);
    if (await lockIsStale(ctx.lockPath, info, ctx.lockStaleMs)) {
      // The holder died (Ctrl-C, crash); its partial file is adopted by whoever locks next.
      await fs.rm(ctx.lockPath, { force: true });
      continue;
    }
    if (info?.token && ctx.options.onProgress) {
      const size = await fileSize(ownPart(ctx, info.token));
      if (size !== undefined) ctx.options.onProgress(size, ctx.entry.bytes);
    }
    try {
      await delay(pollMs, undefined, { signal: ctx.options.signal });
    } catch {
      throw cancelled(ctx, 0);
    }
  }
}

async function tryLock(ctx: Context): Promise<HeldLock | undefined> {
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const info: LockInfo = { pid: process.pid, host: hostname(), token };
  try {
    await fs.writeFile(ctx.lockPath, JSON.stringify(info), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw diskError(ctx, e, ctx.lockPath);
  }
  // The heartbeat tells waiters on other machines (shared cache) that we are alive.
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(ctx.lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    token,
    async release() {
      clearInterval(heartbeat);
      const current = await readJson<LockInfo>(ctx.lockPath);
      if (current?.token === token) await fs.rm(ctx.lockPath, { force: true });
    },
  };
}

async function lockIsStale(lockPath: string, info: LockInfo | undefined, staleMs: number): Promise<boolean> {
  const stat = await fs.stat(lockPath).catch(() => undefined);
  if (!stat) return false; // just released: try again at once
  if (info && info.host === hostname() && !pidAlive(info.pid)) return true;
  return Date.now() - stat.mtimeMs > staleMs;
}

/** Whether a process with this id exists on this machine (EPERM: it does, owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
