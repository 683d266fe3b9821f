/**
 * What the user reads when a download fails: one line, the URL, the cache path, what to do.
 * Every failure a user can cause or fix is a UsageError; network trouble worth another
 * attempt is a {@link RetryableError} until the retries run out.
 */
import { UsageError, messageOf } from '../errors.js';
import type { ZooEntry } from '../model/zoo.js';
import type { Context } from './config.js';

/** A failure worth another resumed attempt (network trouble, 5xx); carries its user message. */
export class RetryableError extends Error {
  constructor(
    message: string,
    /** False for a stall that made no progress at all: retrying would only wait again. */
    readonly retryable = true,
  ) {
    super(message);
  }
}

export function where(ctx: Context): string {
  return `cannot download model "${ctx.entry.name}" from ${ctx.url} into ${ctx.target}`;
}

/** `N of M bytes`, or `N bytes` for an entry whose size is not pinned. */
export function ofBytes(ctx: Context, received: number): string {
  return ctx.entry.bytes === null ? `${received} bytes` : `${received} of ${ctx.entry.bytes} bytes`;
}

/** `; N of M bytes kept in <part>, run again to resume`, or nothing when nothing was kept. */
export function keptNote(ctx: Context, kept: number | undefined): string {
  return kept ? `; ${ofBytes(ctx, kept)} kept in ${ctx.part}, run again to resume` : '';
}

function mirrorNote(entry: ZooEntry): string {
  return entry.hashSource === 'mirror'
    ? ` Note: the expected size and sha256 of "${entry.name}" were copied from a mirror, not read from ${entry.repo} ` +
        'itself; if your download is the official file, the zoo pin is wrong: please report it and use ' +
        '--weights FILE meanwhile.'
    : '';
}

/** The file is not usable from the cache ('missing' or 'bad') and the network is off limits. */
export function offlineError(ctx: Context, state: 'missing' | 'bad'): UsageError {
  const { entry } = ctx;
  if (state === 'bad') {
    return new UsageError(
      `cached file for model "${entry.name}" at ${ctx.target} does not match sha256 ${entry.sha256} ` +
        `and offline mode is on; replace it with the file from ${ctx.url}, or pass --weights FILE`,
    );
  }
  return new UsageError(
    `model "${entry.name}" is not in the cache and offline mode is on (--offline, TTS_CRITIC_OFFLINE or ` +
      `HF_HUB_OFFLINE): download ${ctx.url} (${entry.bytes === null ? '' : `${entry.bytes} bytes, `}sha256 ${entry.sha256}) and save it as ` +
      `${ctx.target}, or pass --weights FILE`,
  );
}

export function sizeMismatch(ctx: Context, got: number, atLeast = false, expected: number | null = ctx.entry.bytes): UsageError {
  const what = ctx.entry.bytes === null ? `${expected} as it announced` : `${expected}`;
  return new UsageError(
    `${where(ctx)}: the server's file is ${atLeast ? 'at least ' : ''}${got} bytes, expected ${what}; ` +
      `nothing was cached (wrong mirror, or the upstream file changed).${mirrorNote(ctx.entry)}`,
  );
}

export function shaMismatch(ctx: Context, got: string, received: number): UsageError {
  const { entry } = ctx;
  return new UsageError(
    `sha256 mismatch for model "${entry.name}" downloaded from ${ctx.url}: expected ${entry.sha256}, ` +
      `got ${got} (${received} bytes); the download was deleted, nothing was cached.${mirrorNote(entry)}`,
  );
}

export function httpError(ctx: Context, status: number, text: string | undefined): Error {
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

export function cancelled(ctx: Context, kept: number): UsageError {
  return new UsageError(`download of model "${ctx.entry.name}" from ${ctx.url} was cancelled${keptNote(ctx, kept)}`);
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EMFILE', 'EIO']);

export function diskError(ctx: Context, error: unknown, file: string): UsageError {
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
export function classify(ctx: Context, error: unknown, mine: string, received: number): Error {
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
  return new RetryableError(`${where(ctx)}: ${reason}${codeNote} after ${ofBytes(ctx, received)}`);
}
