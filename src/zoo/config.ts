/**
 * Options and environment to places: the cache root, the server, offline mode, and the paths
 * and URL of one download (its {@link Context}). Pure apart from reading the environment.
 */
import { homedir } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import type { ZooEntry } from '../model/zoo.js';

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

const DEFAULT_BASE_URL = 'https://huggingface.co';
const DEFAULT_STALL_MS = 60_000;
const DEFAULT_LOCK_STALE_MS = 30_000;

type Env = Readonly<Record<string, string | undefined>>;

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

/** Everything one resolveModelFile call needs to know, worked out once. */
export interface Context {
  readonly entry: ZooEntry;
  readonly options: ResolveModelOptions;
  readonly offline: boolean;
  readonly url: string;
  /** The verified file; see index.ts for the files beside it. */
  readonly target: string;
  readonly dir: string;
  readonly part: string;
  readonly lockPath: string;
  readonly marker: string;
  readonly stallMs: number;
  /** A lock or writer's partial file not touched for this long belongs to a dead process. */
  readonly lockStaleMs: number;
}

export function makeContext(entry: ZooEntry, options: ResolveModelOptions): Context {
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
    lockStaleMs: options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS,
  };
}

/** The partial file the download holding lock `token` appends to. */
export function ownPart(ctx: Context, token: string): string {
  return `${ctx.part}-${token}`;
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
