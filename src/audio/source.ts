/**
 * Where audio bytes come from: a file handle (the normal case) or a Buffer (tests, fuzzing).
 * The decoders only ever ask for byte ranges, so a 2-hour file is never read whole.
 */
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { InputFileError } from '../errors.js';

export interface ByteSource {
  /** Actual size in bytes. Headers that disagree with it lose: the file is the truth. */
  readonly size: number;
  /**
   * Reads up to `length` bytes at `position` into a fresh buffer; the result is shorter only
   * when the source ends first.
   */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A Buffer as a byte source. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    async read(position, length) {
      const start = Math.min(Math.max(0, position), buf.length);
      const end = Math.min(buf.length, start + Math.max(0, length));
      // A copy, so that callers may keep or modify it like a file read.
      return Buffer.from(buf.subarray(start, end));
    },
    async close() {},
  };
}

/**
 * Reads of a ByteSource through one window of at least `minimum` bytes: header walks and
 * scans that move forward in small steps cost one read per window, in bounded memory.
 */
export class ReadWindow {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly src: ByteSource,
    private readonly minimum = 4096,
  ) {}

  /** Up to `length` bytes at `position` (fewer at end of file); valid until the next call. */
  async bytes(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.src.size);
    if (position >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.subarray(position - this.windowStart, end - this.windowStart);
    }
    this.window = await this.src.read(position, Math.max(length, this.minimum));
    this.windowStart = position;
    return this.window.subarray(0, Math.min(length, this.window.length));
  }
}

const OPEN_ERRORS: Record<string, string> = {
  ENOENT: 'file disappeared or cannot be opened (ENOENT)',
  ENOTDIR: 'file disappeared or cannot be opened (ENOTDIR)',
  ELOOP: 'cannot be opened: too many levels of symbolic links (ELOOP)',
  EACCES: 'cannot be opened: permission denied (EACCES)',
  EPERM: 'cannot be opened: operation not permitted (EPERM)',
  EISDIR: 'is a directory',
  EMFILE: 'cannot be opened: too many open files (EMFILE)',
  ENAMETOOLONG: 'cannot be opened: name too long (ENAMETOOLONG)',
};

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns a filesystem error into a plain-words InputFileError (no path: the caller adds it). */
export function fsError(error: unknown, doing: 'open' | 'read'): InputFileError {
  const code = errnoCode(error) ?? 'unknown error';
  if (doing === 'open' && OPEN_ERRORS[code]) return new InputFileError(OPEN_ERRORS[code]);
  if (code === 'EISDIR') return new InputFileError('is a directory');
  return new InputFileError(doing === 'open' ? `cannot be opened (${code})` : `read failed (${code})`);
}

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}

async function isSymlink(path: string | Buffer): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Opens a regular file for positional reads. O_NONBLOCK keeps a named pipe from hanging the
 * open (a blocking open of a FIFO waits for a writer forever, holding a libuv thread); it has
 * no effect on regular files. The fstat after opening then rejects anything not a regular file.
 */
export async function openFileSource(path: string | Buffer): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && (await isSymlink(path))) {
      throw new InputFileError('is a broken symbolic link: its target does not exist (ENOENT)');
    }
    throw fsError(error, 'open');
  }
  let size: number;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const kind = kindOf(stats);
      throw new InputFileError(kind === 'directory' ? 'is a directory' : `is not a regular file (${kind})`);
    }
    size = stats.size;
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof InputFileError) throw error;
    throw fsError(error, 'read');
  }
  let closed = false;
  return {
    size,
    async read(position, length) {
      if (closed) throw new Error('audio file is closed');
      const want = Math.max(0, Math.min(length, size - position));
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      try {
        // A positional read may return fewer bytes than asked; loop until done or end of file
        // (the file may also have shrunk since it was opened: then we return what is there).
        while (got < want) {
          const { bytesRead } = await handle.read(buf, got, want - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (error) {
        throw fsError(error, 'read');
      }
      return got === want ? buf : buf.subarray(0, got);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
