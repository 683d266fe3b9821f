/**
 * `--model NAME`: turns a zoo entry into a local, sha256-verified checkpoint file.
 *
 * Cache layout (content-addressed, so a changed upstream file can never replace a verified one):
 *
 *   <cache>/models/<sha256>/<basename>            the verified file (only ever created by rename)
 *   <cache>/models/<sha256>/<basename>.verified   marker: {sha256, size, mtimeMs} of that file
 *   <cache>/models/<sha256>/<basename>.part       an interrupted download, resumed next run
 *   <cache>/models/<sha256>/<basename>.part-<id>  the file a running download appends to
 *   <cache>/models/<sha256>/<basename>.lock       held while one process downloads
 *
 * Concurrency: the lock makes a second process wait (and report the first one's progress)
 * instead of downloading twice. Correctness does not rest on the lock: a writer first claims
 * `.part` by renaming it to its own `.part-<id>`, only ever appends to its own file, hashes
 * what it streams, and before the final rename checks that the file on disk has exactly the
 * expected size (any foreign append would show). So even a wrongly broken lock costs a
 * duplicate download, never a corrupt cache.
 *
 * Verification policy: a file enters the cache only after its size and sha256 matched. Later
 * runs trust it while the `.verified` marker matches the file's size and mtime (a stat and a
 * tiny read); otherwise (no marker, file touched or replaced by hand) they re-hash it, about
 * 0.3 s for 126 MB, and rewrite the marker.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { homedir, hostname } from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { UsageError, messageOf } from '../errors.js';
import { findModel, modelNames, type ZooEntry } from '../model/zoo.js';

export interface ResolveModelOptions {
  /** Cache root. Default: env TTS_CRITIC_CACHE, then $XDG_CACHE_HOME/tts-critic, then ~/.cache/tts-critic. */
  cacheDir?: string;
  /** Never touch the network. undefined: env TTS_CRITIC_OFFLINE or HF_HUB_OFFLINE decides. */
  offline?: boolean;
  /** Server root. Default: env TTS_CRITIC_MODEL_URL, then HF_ENDPOINT, then https://huggingface.co. */
  baseUrl?: string;
  /** Called as bytes arrive (and while waiting for another process's download). */
  onProgress?: (received: number, total: number | null) => void;
  /** Cancels the download; the partial file is kept for the next run to resume. */
  signal?: AbortSignal;
  /** Abort when no data arrives for this long. Default: env TTS_CRITIC_DOWNLOAD_TIMEOUT (s), else 60 s. */
  stallTimeoutMs?: number;
  /** Resumed attempts after a network failure within one call. Default 3. */
  retries?: number;
  /** Wait before retry n is n times this. Default 1000. */
  retryDelayMs?: number;
  /** Environment to read instead of process.env (tests). */
  env?: Readonly<Record<string, string | undefined>>;
  /** How often a waiting process looks at another's lock. Default 250. */
  lockPollMs?: number;
  /** A lock not refreshed for this long belongs to a dead process. Default 30000. */
  lockStaleMs?: number;
}

export interface ResolvedModelFile {
  /** Absolute path of the verified checkpoint. */
  readonly path: string;
  readonly entry: ZooEntry;
  /** True when this call completed a download (possibly resuming an earlier one); false for a cache hit. */
  readonly downloaded: boolean;
}

const DEFAULT_BASE_URL = 'https://huggingface.co';
const MAX_REDIRECTS = 10;
const DEFAULT_STALL_MS = 60_000;
const HEARTBEAT_MS = 2_000;

type Env = Readonly<Record<string, string | undefined>>;

// ---------------------------------------------------------------------------------------------
// Where things are

function envOf(options: ResolveModelOptions): Env {
  return options.env ?? process.env;
}

/** Unset and empty variables both count as "not set". */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function envFlag(env: Env, name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes((envValue(env, name) ?? '').toLowerCase());
}

export function cacheRoot(options: ResolveModelOptions = {}): string {
  const env = envOf(options);
  const explicit = options.cacheDir ?? envValue(env, 'TTS_CRITIC_CACHE');
  if (explicit) return path.resolve(explicit);
  const xdg = envValue(env, 'XDG_CACHE_HOME');
  if (xdg) return path.resolve(xdg, 'tts-critic');
  const localAppData = process.platform === 'win32' ? envValue(env, 'LOCALAPPDATA') : undefined;
  if (localAppData) return path.resolve(localAppData, 'tts-critic');
  return path.join(homedir(), '.cache', 'tts-critic');
}

export function isOffline(options: ResolveModelOptions = {}): boolean {
  const env = envOf(options);
  return options.offline ?? (envFlag(env, 'TTS_CRITIC_OFFLINE') || envFlag(env, 'HF_HUB_OFFLINE'));
}

export function modelBaseUrl(options: ResolveModelOptions = {}): string {
  const env = envOf(options);
  const base =
    options.baseUrl ?? envValue(env, 'TTS_CRITIC_MODEL_URL') ?? envValue(env, 'HF_ENDPOINT') ?? DEFAULT_BASE_URL;
  return base.replace(/\/+$/, '');
}

/** `${base}/${repo}/resolve/main/${file}`, each path segment percent-encoded. */
export function modelUrl(entry: ZooEntry, options: ResolveModelOptions = {}): string {
  const encode = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  return `${modelBaseUrl(options)}/${encode(entry.repo)}/resolve/main/${encode(entry.file)}`;
}

/** Where the verified file lives (or will live) in the cache. */
export function modelCachePath(entry: ZooEntry, options: ResolveModelOptions = {}): string {
  return path.join(cacheRoot(options), 'models', entry.sha256, path.posix.basename(entry.file));
}

// ---------------------------------------------------------------------------------------------
// Entry point

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
  if (ctx.offline) {
    if (state === 'bad') {
      throw new UsageError(
        `cached file for model "${entry.name}" at ${ctx.target} does not match sha256 ${entry.sha256} ` +
          `and offline mode is on; replace it with the file from ${ctx.url}, or pass --weights FILE`,
      );
    }
    throw new UsageError(
      `model "${entry.name}" is not in the cache and offline mode is on (--offline, TTS_CRITIC_OFFLINE or ` +
        `HF_HUB_OFFLINE): download ${ctx.url} (${entry.bytes} bytes, sha256 ${entry.sha256}) and save it as ` +
        `${ctx.target}, or pass --weights FILE`,
    );
  }

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
  if (!Number.isSafeInteger(entry.bytes) || entry.bytes < 0) throw bad(`bad size ${entry.bytes}`);
  return entry;
}

interface Context {
  readonly entry: ZooEntry;
  readonly options: ResolveModelOptions;
  readonly offline: boolean;
  readonly url: string;
  readonly target: string;
  readonly dir: string;
  readonly part: string;
  readonly lockPath: string;
  readonly marker: string;
  readonly stallMs: number;
}

function makeContext(entry: ZooEntry, options: ResolveModelOptions): Context {
  const target = modelCachePath(entry, options);
  const url = modelUrl(entry, options);
  const protocol = safeProtocol(url);
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(
      `model download URL ${url} must be http:// or https:// (check TTS_CRITIC_MODEL_URL and HF_ENDPOINT)`,
    );
  }
  const envTimeout = Number(envValue(envOf(options), 'TTS_CRITIC_DOWNLOAD_TIMEOUT'));
  const stallMs =
    options.stallTimeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout * 1000 : DEFAULT_STALL_MS);
  return {
    entry,
    options,
    offline: isOffline(options),
    url,
    target,
    dir: path.dirname(target),
    part: `${target}.part`,
    lockPath: `${target}.lock`,
    marker: `${target}.verified`,
    stallMs,
  };
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The cached file

interface Marker {
  sha256: string;
  size: number;
  mtimeMs: number;
}

/**
 * 'ok': the file is there and verified (by marker or by re-hashing). 'bad': it is there but
 * wrong; under the lock (`repair`) it is deleted so the download can replace it.
 */
async function cachedState(ctx: Context, repair = false): Promise<'ok' | 'missing' | 'bad'> {
  const stat = await fs.stat(ctx.target).catch(() => undefined);
  if (!stat?.isFile()) return 'missing';
  const { entry } = ctx;
  let good = stat.size === entry.bytes;
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
async function writeMarker(ctx: Context): Promise<void> {
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

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

async function ensureDir(ctx: Context): Promise<void> {
  try {
    await fs.mkdir(ctx.dir, { recursive: true });
  } catch (e) {
    throw diskError(ctx, e, ctx.dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Lock: one downloader per cache entry; others wait and report its progress

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

interface HeldLock {
  readonly token: string;
  release(): Promise<void>;
}

async function acquireLock(ctx: Context): Promise<HeldLock | 'cached'> {
  const pollMs = ctx.options.lockPollMs ?? 250;
  const staleMs = ctx.options.lockStaleMs ?? 30_000;
  for (;;) {
    const lock = await tryLock(ctx);
    if (lock) return lock;
    if ((await cachedState(ctx)) === 'ok') return 'cached';
    const info = await readJson<LockInfo>(ctx.lockPath);
    if (await lockIsStale(ctx.lockPath, info, staleMs)) {
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  return (await fs.stat(file).catch(() => undefined))?.size;
}

// ---------------------------------------------------------------------------------------------
// Download

const ownPart = (ctx: Context, token: string) => `${ctx.part}-${token}`;

/** A failure worth another resumed attempt (network trouble, 5xx); carries its user message. */
class RetryableError extends Error {
  constructor(
    message: string,
    /** False for a stall that made no progress at all: retrying would only wait again. */
    readonly retryable = true,
  ) {
    super(message);
  }
}

async function downloadWithRetries(ctx: Context, token: string): Promise<void> {
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
      const resume = kept ? `; ${kept} of ${ctx.entry.bytes} bytes kept in ${ctx.part}, run again to resume` : '';
      throw new UsageError(`${messageOf(e)}${resume}`);
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
    const dead = !pidAlive(pid) || Date.now() - stat.mtimeMs > (ctx.options.lockStaleMs ?? 30_000);
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
  if (offset > entry.bytes) {
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
    if (total !== undefined && total !== entry.bytes) {
      response.resume();
      await fs.rm(mine, { force: true });
      throw sizeMismatch(ctx, total);
    }
    await streamBody(ctx, mine, response, hash, offset, kick, controller.signal);
  } catch (e) {
    if (e instanceof UsageError || e instanceof RetryableError) throw e;
    const received = (await fileSize(mine)) ?? 0;
    if (outer?.aborted) throw cancelled(ctx, received);
    if (stalled) {
      throw new RetryableError(
        `${where(ctx)}: no data for ${ctx.stallMs / 1000} s after ${received} of ${entry.bytes} bytes`,
        received > before,
      );
    }
    throw classify(ctx, e, mine, received);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * Does this answer to a resume request say our partial file is useless? (Errors such as 404 or
 * 503 do not: they are reported and the partial file is kept.)
 */
function cannotContinue(response: http.IncomingMessage, offset: number): boolean {
  const status = response.statusCode;
  if (status === 200 || status === 416) return true;
  return status === 206 && parseContentRange(response.headers['content-range'])?.start !== offset;
}

async function streamBody(
  ctx: Context,
  mine: string,
  response: http.IncomingMessage,
  hash: Hash,
  offset: number,
  kick: () => void,
  signal: AbortSignal,
): Promise<void> {
  const { entry } = ctx;
  const progress = ctx.options.onProgress;
  let received = offset;
  progress?.(received, entry.bytes);
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
      if (received + chunk.length > entry.bytes) {
        response.destroy();
        await handle.close();
        await fs.rm(mine, { force: true });
        throw sizeMismatch(ctx, received + chunk.length, true);
      }
      await writeAll(handle, chunk);
      received += chunk.length;
      hash.update(chunk);
      progress?.(received, entry.bytes);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await handle.close().catch(() => undefined);
  }
  if (!response.complete || received < entry.bytes) {
    throw new RetryableError(`${where(ctx)}: connection closed after ${received} of ${entry.bytes} bytes`);
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
  if (onDisk !== entry.bytes || received !== entry.bytes) {
    await fs.rm(mine, { force: true });
    throw new RetryableError(
      `${where(ctx)}: partial file changed size during the download (another writer?); starting over`,
    );
  }
  if (got !== entry.sha256) {
    await fs.rm(mine, { force: true });
    throw new UsageError(
      `sha256 mismatch for model "${entry.name}" downloaded from ${ctx.url}: expected ${entry.sha256}, ` +
        `got ${got} (${received} bytes); the download was deleted, nothing was cached.${mirrorNote(entry)}`,
    );
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

function parseContentRange(header: string | undefined): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[3] === '*' ? {} : { total: Number(match[3]) }) };
}

/** GET with redirects followed by hand: capped, http(s) only, Range re-sent on every hop. */
async function get(ctx: Context, offset: number, signal: AbortSignal): Promise<http.IncomingMessage> {
  let url = new URL(ctx.url);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`${where(ctx)}: redirected to unsupported URL scheme ${url.protocol}`);
    }
    const headers: http.OutgoingHttpHeaders = {
      'user-agent': 'tts-critic (model zoo)',
      // Byte counts and Range only make sense on the file itself, never a compressed form.
      'accept-encoding': 'identity',
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http;
      // agent: false: a fresh connection per request, so no keep-alive socket outlives us.
      const request = client.get(url, { headers, signal, agent: false }, resolve);
      request.on('error', reject);
    });
    const status = response.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status)) return response;
    response.resume();
    const location = response.headers.location;
    if (!location) throw new UsageError(`${where(ctx)}: HTTP ${status} redirect without a Location header`);
    if (hop >= MAX_REDIRECTS) throw new UsageError(`${where(ctx)}: more than ${MAX_REDIRECTS} redirects`);
    url = new URL(location, url);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages: one line, the URL, the cache path, what to do

function where(ctx: Context): string {
  return `cannot download model "${ctx.entry.name}" from ${ctx.url} into ${ctx.target}`;
}

function mirrorNote(entry: ZooEntry): string {
  return entry.hashSource === 'mirror'
    ? ` Note: the expected size and sha256 of "${entry.name}" were copied from a mirror, not read from ${entry.repo} ` +
        'itself; if your download is the official file, the zoo pin is wrong: please report it and use ' +
        '--weights FILE meanwhile.'
    : '';
}

function sizeMismatch(ctx: Context, got: number, atLeast = false): UsageError {
  return new UsageError(
    `${where(ctx)}: the server's file is ${atLeast ? 'at least ' : ''}${got} bytes, expected ${ctx.entry.bytes}; ` +
      `nothing was cached (wrong mirror, or the upstream file changed).${mirrorNote(ctx.entry)}`,
  );
}

function httpError(ctx: Context, status: number, text: string | undefined): Error {
  const line = `${where(ctx)}: HTTP ${status}${text ? ` ${text}` : ''}`;
  if (status === 404) {
    return new UsageError(
      `${line} (no such file at this address: check HF_ENDPOINT/TTS_CRITIC_MODEL_URL, or pass --weights FILE)`,
    );
  }
  if (status === 401 || status === 403) {
    return new UsageError(
      `${line} (access denied: the server or mirror refuses this file; try another mirror or pass --weights FILE)`,
    );
  }
  if (status === 429 || status >= 500) return new RetryableError(line);
  return new UsageError(line);
}

function cancelled(ctx: Context, kept: number): UsageError {
  const resume = kept ? `; ${kept} of ${ctx.entry.bytes} bytes kept in ${ctx.part}, run again to resume` : '';
  return new UsageError(`download of model "${ctx.entry.name}" from ${ctx.url} was cancelled${resume}`);
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EMFILE', 'EIO']);

function diskError(ctx: Context, error: unknown, file: string): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `disk full (${code})`
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `not writable (${code}); choose another cache with --cache-dir or TTS_CRITIC_CACHE`
        : messageOf(error);
  return new UsageError(`cannot store model "${ctx.entry.name}" from ${ctx.url} at ${file}: ${why}`);
}

/** Node/network errors to one line; disk errors are final, network ones worth a retry. */
function classify(ctx: Context, error: unknown, mine: string, received: number): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (DISK_CODES.has(code)) return diskError(ctx, error, mine);
  let host = '';
  try {
    host = new URL(ctx.url).host;
  } catch {
    // makeContext already rejected bad URLs
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new RetryableError(
      `${where(ctx)}: cannot resolve ${host} (${code}); check the network, set HF_ENDPOINT to a reachable ` +
        'mirror, or pass --weights FILE',
    );
  }
  if (code === 'ECONNREFUSED') return new RetryableError(`${where(ctx)}: connection refused by ${host}`);
  if (/CERT|TLS|SSL|SELF_SIGNED|VERIFY/.test(code)) {
    return new UsageError(`${where(ctx)}: TLS error (${code}): ${messageOf(error)}`);
  }
  const reason = code === 'ECONNRESET' || messageOf(error) === 'aborted' ? 'connection lost' : messageOf(error);
  const codeNote = code ? ` (${code})` : '';
  return new RetryableError(`${where(ctx)}: ${reason}${codeNote} after ${received} of ${ctx.entry.bytes} bytes`);
}
