/**
 * Random-access byte sources: a file read through one handle (so the parts of a checkpoint we
 * do not need, such as optimizer state, are never read), or bytes already in memory (fuzz
 * tests, callers that downloaded the file). Every read is bounds-checked: asking for bytes a
 * file does not have is the usual sign of truncation and becomes a CheckpointError.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { CheckpointError, messageOf } from '../errors.js';
import { LIMITS } from './limits.js';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes starting at `offset`, in a buffer the caller owns (byteOffset 0, so
   * typed-array views of it are aligned). `what` names the part for error messages.
   */
  read(offset: number, length: number, what: string): Promise<Uint8Array>;
  /** sha256 of the whole source, lowercase hex, streamed in bounded memory. */
  sha256(): Promise<string>;
  close(): Promise<void>;
}

export function checkRange(size: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CheckpointError(`${what} has an invalid position (offset ${offset}, length ${length}); the file is damaged`);
  }
  if (offset + length > size) {
    throw new CheckpointError(
      `checkpoint is truncated or damaged: ${what} needs bytes ${offset}..${offset + length} but the file has ${size}`,
    );
  }
  if (length > LIMITS.maxTensorBytes) {
    throw new CheckpointError(`${what} claims ${length} bytes, more than any discriminator checkpoint part; the file is damaged`);
  }
}

/** A source over bytes in memory. Reads copy, so callers may keep or view results freely. */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this.size, offset, length, what);
    // Uint8Array's slice, not Buffer's: Buffer#slice is a view (of Node's 8 KB pool, for small
    // files), and callers read the result through `.buffer` from byte 0 (found by fuzzing).
    return Uint8Array.prototype.slice.call(this.bytes, offset, offset + length);
  }
  async sha256(): Promise<string> {
    return createHash('sha256').update(this.bytes).digest('hex');
  }
  async close(): Promise<void> {}
}

const HASH_CHUNK = 4 * 1024 * 1024;
const WORKER_HASH_MIN_BYTES = 32 * 1024 * 1024;

/**
 * The hashing thread: plain CommonJS source run with `eval`, so it works from dist/ and from
 * TypeScript tests alike. It re-opens the file by path and refuses to answer if the size
 * differs from the one the loader opened (the file was replaced meanwhile).
 */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const fd = fs.openSync(workerData.path, 'r');
try {
  if (fs.fstatSync(fd).size !== workerData.size) throw new Error('file changed');
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(${HASH_CHUNK});
  for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  parentPort.postMessage(hash.digest('hex'));
} finally {
  fs.closeSync(fd);
}
`;

/** A source over a file, read with positioned reads on one handle. */
export class FileSource implements ByteSource {
  private readonly workers = new Set<Worker>();

  private constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new CheckpointError(`cannot open checkpoint "${path}": ${describeIoError(error)}`);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new CheckpointError(`checkpoint "${path}" is not a regular file`);
      return new FileSource(handle, path, stat.size);
    } catch (error) {
      await handle.close();
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot read checkpoint "${path}": ${describeIoError(error)}`);
    }
  }

  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this.size, offset, length, what);
    const out = new Uint8Array(length);
    await this.readInto(out, offset, what);
    return out;
  }

  private async readInto(out: Uint8Array, offset: number, what: string): Promise<void> {
    let done = 0;
    while (done < out.byteLength) {
      const { bytesRead } = await this.handle.read(out, done, out.byteLength - done, offset + done);
      // The file shrank under us: report it like any other truncation.
      if (bytesRead === 0) throw new CheckpointError(`checkpoint is truncated: ${what} ended early at byte ${offset + done}`);
      done += bytesRead;
    }
  }

  async sha256(): Promise<string> {
    // Large files are hashed on another thread (hashing 560 MB takes about 0.5 s) while this
    // one parses; small ones here, where starting a thread would cost more than it saves.
    if (this.size >= WORKER_HASH_MIN_BYTES) {
      const digest = await this.sha256InWorker().catch(() => undefined);
      if (digest !== undefined) return digest;
    }
    return this.sha256Here();
  }

  private sha256InWorker(): Promise<string> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(HASH_WORKER, { eval: true, workerData: { path: this.path, size: this.size } });
      this.workers.add(worker);
      worker.once('message', (digest: unknown) => (typeof digest === 'string' ? resolve(digest) : reject(new Error('hash worker failed'))));
      worker.once('error', reject);
      worker.once('exit', () => {
        this.workers.delete(worker);
        reject(new Error('hash worker stopped'));
      });
    });
  }

  private async sha256Here(): Promise<string> {
    const hash = createHash('sha256');
    const buffer = new Uint8Array(Math.min(HASH_CHUNK, Math.max(this.size, 1)));
    for (let pos = 0; pos < this.size; pos += buffer.byteLength) {
      const chunk = buffer.subarray(0, Math.min(buffer.byteLength, this.size - pos));
      await this.readInto(chunk, pos, 'the file');
      hash.update(chunk);
    }
    return hash.digest('hex');
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
    await this.handle.close();
  }
}

function describeIoError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return messageOf(error);
  }
}
