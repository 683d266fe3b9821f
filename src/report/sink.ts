/**
 * Where a writer's text goes: an atomically replaced file (`-o FILE`) or a stream (stdout).
 *
 * File sinks write to a temp file in the destination's folder (same file system, so the final
 * rename is atomic) with synchronous writes on a raw fd: every `write` is one `write(2)` of the
 * whole text, nothing is buffered in the process, and a signal handler that commits or discards
 * can never interleave with a half-done write. FILE itself is only ever absent, the previous
 * version, or the complete new one.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError, messageOf } from '../errors.js';

export interface Sink {
  /** Final path for file sinks, null for streams. */
  readonly path: string | null;
  /** The temp file being written (file sinks, until committed or discarded). */
  readonly tempPath: string | null;
  /** Writes text, or bytes (which the sink copies if it keeps them past the call). */
  write(text: string | Uint8Array): void;
  /** File: fsync, close, rename over the final path. Stream: resolves once written out. */
  commit(): Promise<void>;
  /** File: close and delete the temp file, leaving the final path untouched. Stream: as commit. */
  discard(): Promise<void>;
}

export class AtomicFileSink implements Sink {
  readonly path: string;
  readonly tempPath: string;
  private fd: number | null;

  constructor(path: string) {
    this.path = path;
    const absolute = resolve(path);
    try {
      if (statSync(absolute).isDirectory()) throw new UsageError(`cannot write ${path}: it is a directory`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      // ENOENT is the normal case: the output does not exist yet.
    }
    // Hidden, unique per process and call; 'wx' refuses to reuse a name that exists.
    this.tempPath = join(dirname(absolute), `.${basename(absolute)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    try {
      this.fd = openSync(this.tempPath, 'wx', 0o666);
    } catch (error) {
      throw new UsageError(`cannot write ${path}: ${messageOf(error)}`);
    }
  }

  write(text: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path} is already closed`);
    const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let offset = 0;
    // One call writes it all for regular files; the loop only guards against a short write.
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
  }

  commit(): Promise<void> {
    if (this.fd === null) return Promise.resolve();
    const fd = this.fd;
    this.fd = null;
    try {
      try {
        fsyncSync(fd);
      } catch (error) {
        // Some file systems cannot fsync; a real I/O error must not be renamed into place.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
      } finally {
        closeSync(fd);
      }
      renameSync(this.tempPath, this.path);
    } catch (error) {
      removeQuietly(this.tempPath);
      throw error;
    }
    syncFolder(dirname(resolve(this.path)));
    return Promise.resolve();
  }

  discard(): Promise<void> {
    if (this.fd === null) return Promise.resolve();
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } finally {
      removeQuietly(this.tempPath);
    }
    return Promise.resolve();
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to clean up.
  }
}

/** Makes the rename itself durable where the platform allows it (not on Windows: best effort). */
function syncFolder(folder: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Durability of the folder entry is a nicety; the rename already happened.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export class StreamSink implements Sink {
  readonly path = null;
  readonly tempPath = null;
  private last: Promise<void> = Promise.resolve();
  private failed: Error | null = null;
  private readonly onError = (error: Error): void => {
    this.failed ??= error;
  };

  constructor(private readonly stream: NodeJS.WritableStream) {
    // Without a listener an EPIPE (`... | head`) would crash the process from an event.
    stream.on('error', this.onError);
  }

  write(text: string | Uint8Array): void {
    if (this.failed) return; // the reader went away; keep scoring, stop writing
    // The stream may hold on to what it is given until it drains: bytes are copied, as the
    // caller may reuse its buffer.
    const chunk = typeof text === 'string' ? text : Buffer.from(text);
    this.last = new Promise((done) => {
      this.stream.write(chunk, (error?: Error | null) => {
        if (error) this.failed ??= error;
        done();
      });
    });
  }

  private async settle(): Promise<void> {
    await this.last;
    this.stream.removeListener('error', this.onError);
    // A closed pipe means the consumer stopped reading on purpose; anything else is a failure.
    if (this.failed && (this.failed as NodeJS.ErrnoException).code !== 'EPIPE') throw this.failed;
  }

  commit(): Promise<void> {
    return this.settle();
  }

  discard(): Promise<void> {
    return this.settle();
  }
}

/**
 * Temp files that writers for `output` left behind because their process was killed outright
 * (SIGKILL, power loss), sorted by name. A JSONL one holds whole records and can be read like a
 * report (`--resume` may start from it, then delete it); CSV/JSON ones are incomplete. A writer
 * still running in another process shows up here too: check its pid before deleting.
 */
export function leftoverTempFiles(output: string): string[] {
  const absolute = resolve(output);
  const base = basename(absolute);
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\.${escaped}\\.\\d+-[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dirname(absolute));
  } catch {
    return [];
  }
  return names
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dirname(absolute), name));
}
