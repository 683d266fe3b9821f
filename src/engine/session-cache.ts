/**
 * The optimized-session cache. onnxruntime's graph optimizations (constant folding, fusions and
 * the NCHWc layout transform, which reorders every conv weight) cost most of a session's
 * start-up. It can write the optimized graph to a file (`optimizedModelFilePath`); loading that
 * file later with optimizations off gives the same session, bit for bit (checked on every
 * family: same outputs), without the work.
 *
 * Entries are folders `<cache root>/sessions/<key>/` holding `model.onnx` (the graph),
 * `weights.bin` (its initializers, which onnxruntime loads faster as external data: 0.25 s
 * instead of 0.5 s of CPU for sovits5, measured), `sha256` (their hashes, in sha256sum's
 * format) and `verified` (see below):
 * * `key` is the sha256 of everything the optimized graph is a function of: the graph's
 *   recipe (layer table, weights identity, mode), this build's graph-making code, the
 *   onnxruntime version, the session options (provider, threads) and the CPU (the NCHWc block
 *   size depends on its vector width). Any change gives a new key, never a stale hit.
 * * A reader checks both files against their hashes before it uses the session (the graph
 *   before onnxruntime reads it); a damaged, truncated or incomplete entry is deleted and
 *   rebuilt. Hashing the weights again on every start (55 ms of CPU for sovits5's 97 MB,
 *   beside a 55 ms session load) is skipped while `verified` records the weights file's status
 *   (device, inode, size, modification and change times, in nanoseconds) from the last time
 *   its hash matched: any write to the file, truncation, replacement or copy elsewhere changes
 *   its change time or inode, so it is hashed again (git skips rehashing its index the same
 *   way).
 * * Writers fill a temp folder (ignored by readers), hash it and rename it into place, so a
 *   reader never sees a partial entry. Of concurrent writers the first rename wins and the
 *   others drop theirs (onnxruntime's generated node names differ from run to run, so their
 *   bytes may differ, but each is a complete, valid entry).
 * * A cache folder that cannot be written (read-only, a file in the way, disk full) only costs
 *   the saving: the session is then optimized in memory as before.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, promises as fs, readFileSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Bump when the layout of entries or the way they are made changes. */
const CACHE_FORMAT = 1;
/** Entries kept, most recently used first; each is about the size of the model's weights. */
const MAX_ENTRIES = 8;
/** A temp file this old belongs to a writer that died. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const ENTRY = /^[0-9a-f]{64}$/;
const TEMP_SUFFIX = '.tmp';
/** The files of an entry; onnxruntime finds the weights by this name, relative to the model. */
export const MODEL_FILE = 'model.onnx';
export const WEIGHTS_FILE = 'weights.bin';
export const HASH_FILE = 'sha256';
/** The weights file's status when its hash last matched (see the file comment). */
export const STAMP_FILE = 'verified';

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file, read in blocks: a whole model in memory would add to the peak RSS. */
export function hashFile(file: string): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, block, 0, block.length, null);
      if (n === 0) break;
      hash.update(n === block.length ? block : block.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

// The same as hashFile, run in a worker thread (plain CommonJS source: it must also run when
// this module is TypeScript under the tests).
const HASH_WORKER = `
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const hash = createHash('sha256');
const block = Buffer.allocUnsafe(4 << 20);
const fd = openSync(workerData, 'r');
for (;;) {
  const n = readSync(fd, block, 0, block.length, null);
  if (n === 0) break;
  hash.update(n === block.length ? block : block.subarray(0, n));
}
closeSync(fd);
parentPort.postMessage(hash.digest('hex'));
`;

/** hashFile in a worker thread; resolves with null when the file cannot be read. */
function hashFileInWorker(file: string): Promise<string | null> {
  return new Promise((resolve) => {
    const worker = new Worker(HASH_WORKER, { eval: true, workerData: file });
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', () => resolve(null));
    worker.once('exit', () => resolve(null));
  });
}

/** The hash file: one `<sha256>  <name>` line per file, as sha256sum writes (and -c checks) it. */
function hashLines(hashes: ReadonlyMap<string, string>): string {
  return [MODEL_FILE, WEIGHTS_FILE].map((name) => `${hashes.get(name)}  ${name}\n`).join('');
}

/**
 * The stamp of `file` with the hash it should have: its status, which any change to the file
 * changes, or null when it cannot be read. Taken before hashing, so that a file changed while
 * being hashed no longer matches its stamp.
 */
function weightsStamp(file: string, hash: string): string | null {
  try {
    const s = statSync(file, { bigint: true });
    return JSON.stringify({ hash, dev: `${s.dev}`, ino: `${s.ino}`, size: `${s.size}`, mtime: `${s.mtimeNs}`, ctime: `${s.ctimeNs}` });
  } catch {
    return null;
  }
}

function writeStampQuietly(entry: string, stamp: string): void {
  try {
    writeFileSync(path.join(entry, STAMP_FILE), stamp);
  } catch {
    // A read-only cache: the weights are hashed on every start.
  }
}

function readStamp(entry: string): string | null {
  try {
    return readFileSync(path.join(entry, STAMP_FILE), 'utf8');
  } catch {
    return null;
  }
}

function expectedHashes(entry: string): Map<string, string> | null {
  try {
    const lines = readFileSync(path.join(entry, HASH_FILE), 'utf8').split('\n').filter(Boolean);
    const hashes = new Map(lines.map((line) => [line.slice(66), line.slice(0, 64)] as const));
    return hashes.has(MODEL_FILE) && hashes.has(WEIGHTS_FILE) ? hashes : null;
  } catch {
    return null;
  }
}

let codeHash: string | undefined;

/**
 * sha256 of the modules that decide what graph a model becomes (engine/, model/, checkpoint/ of
 * this build: dist/*.js when installed, src/*.ts under the tests), so that a changed builder
 * never loads a session made by an older one, even without a version bump.
 */
export function graphCodeHash(): string {
  if (codeHash) return codeHash;
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const hash = createHash('sha256');
  for (const dir of ['engine', 'model', 'checkpoint']) {
    const files = listSources(path.join(root, dir));
    for (const file of files) hash.update(`${path.relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  }
  codeHash = hash.digest('hex');
  return codeHash;
}

function listSources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(full));
    else if (/\.(js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

let cpuText: string | undefined;

/**
 * What the optimized graph depends on in the CPU: its model and, on Linux, its feature flags
 * (AVX2 and AVX-512 machines get different NCHWc layouts). A cache folder shared between
 * machines then keeps one entry per kind of CPU.
 */
export function cpuIdentity(): string {
  if (cpuText !== undefined) return cpuText;
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? '';
  } catch {
    // Not Linux: the model name below has to do.
  }
  cpuText = `${process.platform}-${process.arch} ${os.cpus()[0]?.model ?? 'unknown'} ${flags}`;
  return cpuText;
}

/** The cache key of a session: sha256 over a canonical JSON of its parts (see the file comment). */
export function sessionKey(parts: Readonly<Record<string, unknown>>): string {
  return sha256Hex(JSON.stringify({ format: CACHE_FORMAT, code: graphCodeHash(), cpu: cpuIdentity(), ...parts }));
}

async function removeQuietly(target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true }).catch(() => undefined);
}

export interface CachedEntry {
  /** The entry's graph, verified: safe to hand to onnxruntime. */
  readonly modelFile: string;
  /**
   * Whether the weights match their hash. They are hashed in a worker thread while the
   * session loads (the 150 MB of a full-size model take about as long to hash as to load);
   * a session loaded from weights that then fail is discarded unused.
   */
  readonly weightsVerified: Promise<boolean>;
  /** How the weights are verified: by their hash, or by a matching stamp of their last hashing. */
  readonly weightsCheck: 'hash' | 'stamp';
}

/**
 * The entry for `key` in `dir`, or null. An entry whose hash file or graph fails is deleted
 * (where the folder allows it), as is one whose weights fail (see discardEntry). A hit is
 * touched, so that pruning keeps the entries in use.
 */
export async function findEntry(dir: string, key: string): Promise<CachedEntry | null> {
  const entry = path.join(dir, key);
  if (!existsSync(entry)) return null;
  const expected = expectedHashes(entry);
  const modelFile = path.join(entry, MODEL_FILE);
  let modelOk = false;
  try {
    modelOk = expected !== null && hashFile(modelFile) === expected.get(MODEL_FILE);
  } catch {
    // unreadable or missing: damaged
  }
  if (!modelOk) {
    await removeQuietly(entry);
    return null;
  }
  const weightsFile = path.join(entry, WEIGHTS_FILE);
  const expectedWeights = expected!.get(WEIGHTS_FILE)!;
  const stamp = weightsStamp(weightsFile, expectedWeights);
  const stamped = stamp !== null && readStamp(entry) === stamp;
  const weightsVerified = stamped
    ? Promise.resolve(true)
    : hashFileInWorker(weightsFile).then((hex) => {
        if (hex !== expectedWeights) return false;
        if (stamp) writeStampQuietly(entry, stamp);
        return true;
      });
  const now = new Date();
  await fs.utimes(entry, now, now).catch(() => undefined);
  return { modelFile, weightsVerified, weightsCheck: stamped ? 'stamp' : 'hash' };
}

/** Deletes the entry of a model file whose weights failed, or that onnxruntime refused. */
export async function discardEntry(modelFile: string): Promise<void> {
  await removeQuietly(path.dirname(modelFile));
}

/**
 * Makes the entry for `key`: `write(modelPath)` must create MODEL_FILE and WEIGHTS_FILE in the
 * folder of modelPath. Returns the stored model file, or null when the cache folder cannot
 * take it (then nothing is left behind). Errors of `write` itself are not the cache's
 * business and are rethrown.
 */
export async function storeEntry(dir: string, key: string, write: (modelPath: string) => Promise<void>): Promise<string | null> {
  const temp = path.join(dir, `.${key}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMP_SUFFIX}`);
  try {
    await fs.mkdir(temp, { recursive: true });
  } catch {
    return null;
  }
  try {
    await write(path.join(temp, MODEL_FILE));
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  const entry = path.join(dir, key);
  try {
    const hashes = new Map([MODEL_FILE, WEIGHTS_FILE].map((name) => [name, hashFile(path.join(temp, name))] as const));
    const stamp = weightsStamp(path.join(temp, WEIGHTS_FILE), hashes.get(WEIGHTS_FILE)!);
    await fs.writeFile(path.join(temp, HASH_FILE), hashLines(hashes));
    // The folder's rename below keeps the file's inode and times.
    if (stamp) await fs.writeFile(path.join(temp, STAMP_FILE), stamp);
    try {
      await fs.rename(temp, entry);
    } catch (error) {
      // Another process stored this key first: its entry is as good as ours.
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      await removeQuietly(temp);
    }
    await prune(dir);
  } catch {
    await removeQuietly(temp);
    return null;
  }
  return path.join(entry, MODEL_FILE);
}
/** Keeps the MAX_ENTRIES most recently used entries and removes temp folders of dead writers. */
async function prune(dir: string): Promise<void> {
  const now = Date.now();
  const entries: { path: string; used: number }[] = [];
  for (const name of await fs.readdir(dir)) {
    const full = path.join(dir, name);
    const used = (await fs.stat(full).catch(() => null))?.mtimeMs;
    if (used === undefined) continue;
    if (ENTRY.test(name)) entries.push({ path: full, used });
    else if (name.endsWith(TEMP_SUFFIX) && now - used > STALE_TEMP_MS) await removeQuietly(full);
  }
  entries.sort((a, b) => b.used - a.used);
  for (const entry of entries.slice(MAX_ENTRIES)) await removeQuietly(entry.path);
}
