/**
 * The cached file and its `.verified` marker.
 *
 * Verification policy: a file enters the cache only after its size and sha256 matched. Later
 * runs trust it while the `.verified` marker matches the file's size and mtime (a stat and a
 * tiny read); otherwise (no marker, file touched or replaced by hand) they re-hash it, about
 * 0.3 s for 126 MB, and rewrite the marker.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { UsageError, messageOf } from '../errors.js';
import type { Context } from './config.js';
import { diskError } from './messages.js';

interface Marker {
  sha256: string;
  size: number;
  mtimeMs: number;
}

/**
 * 'ok': the file is there and verified (by marker or by re-hashing). 'bad': it is there but
 * wrong; under the lock (`repair`) it is deleted so the download can replace it.
 */
export async function cachedState(ctx: Context, repair = false): Promise<'ok' | 'missing' | 'bad'> {
  const stat = await fs.stat(ctx.target).catch(() => undefined);
  if (!stat?.isFile()) return 'missing';
  const { entry } = ctx;
  let good = entry.bytes === null || stat.size === entry.bytes;
  if (good) {
    const marker = await readJson<Marker>(ctx.marker);
    if (marker?.sha256 === entry.sha256 && marker.size === stat.size && marker.mtimeMs === stat.mtimeMs) return 'ok';
    const hash = createHash('sha256');
    await hashFile(ctx.target, hash).catch((e: unknown) => {
      throw new UsageError(`cannot read cached model file ${ctx.target}: ${messageOf(e)}`);
    });
    good = hash.digest('hex') === entry.sha256;
    if (good) {
      await writeMarker(ctx);
      return 'ok';
    }
  }
  if (repair && !ctx.offline) {
    await fs.rm(ctx.target, { force: true });
    await fs.rm(ctx.marker, { force: true });
  }
  return 'bad';
}

/** Best effort: a read-only cache still works, it just re-hashes on every run. */
export async function writeMarker(ctx: Context): Promise<void> {
  try {
    const stat = await fs.stat(ctx.target);
    const marker: Marker = { sha256: ctx.entry.sha256, size: stat.size, mtimeMs: stat.mtimeMs };
    // Written aside and renamed, so a reader never sees half a marker.
    const temp = `${ctx.marker}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await fs.writeFile(temp, JSON.stringify(marker));
    await fs.rename(temp, ctx.marker).catch(async (e: unknown) => {
      await fs.rm(temp, { force: true });
      throw e;
    });
  } catch {
    // ignored on purpose, see above
  }
}

/** Creates the entry's cache directory; failing to is a disk error the user can fix. */
export async function ensureDir(ctx: Context): Promise<void> {
  try {
    await fs.mkdir(ctx.dir, { recursive: true });
  } catch (e) {
    throw diskError(ctx, e, ctx.dir);
  }
}

/** The parsed file, or undefined when it is missing or not JSON. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

export async function fileSize(file: string): Promise<number | undefined> {
  return (await fs.stat(file).catch(() => undefined))?.size;
}
