/** Two downloaders, one cache: the lock, stale locks, and partial files left by dead writers. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { modelCachePath, resolveModelFile, type ResolveModelOptions } from '../../src/zoo/index.js';
import { DATA, FILE_PATH, fakeEntry, listFiles, startServerAndCache, stopServerAndCache, type FakeServer } from './helpers.js';

let server: FakeServer;
let cacheDir: string;

beforeEach(async () => {
  ({ server, cacheDir } = await startServerAndCache());
});
afterEach(() => stopServerAndCache(server, cacheDir));

const entry = fakeEntry();
const target = () => modelCachePath(entry, { cacheDir });
const opts = (extra: ResolveModelOptions = {}): ResolveModelOptions => ({
  cacheDir,
  baseUrl: server.origin,
  env: {},
  retryDelayMs: 0,
  lockPollMs: 20,
  ...extra,
});

/** The pid of a process that has exited, so no lock or part file can belong to a live one. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('two concurrent downloads of one entry: one request, one correct file, the waiter sees progress', async () => {
  server.serveFile(FILE_PATH, DATA, { chunk: 8192, chunkDelayMs: 3 });
  const waiterProgress: number[] = [];
  const [a, b] = await Promise.all([
    resolveModelFile(entry, opts()),
    resolveModelFile(entry, opts({ onProgress: (r) => waiterProgress.push(r) })),
  ]);
  expect(a.path).toBe(target());
  expect(b.path).toBe(target());
  expect([a.downloaded, b.downloaded].sort()).toEqual([false, true]);
  expect(server.hits).toHaveLength(1);
  expect(Buffer.compare(await fs.readFile(target()), DATA)).toBe(0);
  expect(await listFiles(cacheDir)).toEqual(
    ['fake.pth', 'fake.pth.verified'].map((n) => path.join('models', entry.sha256, n)),
  );
  expect(waiterProgress.length).toBeGreaterThan(0);
});

test('many concurrent callers still end with one correct file', async () => {
  server.serveFile(FILE_PATH, DATA, { chunk: 16384, chunkDelayMs: 2 });
  const results = await Promise.all(Array.from({ length: 5 }, () => resolveModelFile(entry, opts())));
  expect(results.filter((r) => r.downloaded)).toHaveLength(1);
  expect(server.hits).toHaveLength(1);
  expect(Buffer.compare(await fs.readFile(target()), DATA)).toBe(0);
});

test('a lock left by a dead process is broken and its partial file resumed', async () => {
  server.serveFile(FILE_PATH, DATA);
  const pid = deadPid();
  const token = `${pid}-deadbeef0000`;
  await fs.mkdir(path.dirname(target()), { recursive: true });
  await fs.writeFile(`${target()}.lock`, JSON.stringify({ pid, host: hostname(), token }));
  await fs.writeFile(`${target()}.part-${token}`, DATA.subarray(0, 70_000));

  const result = await resolveModelFile(entry, opts());
  expect(result.downloaded).toBe(true);
  expect(server.hits).toEqual([{ path: FILE_PATH, range: 'bytes=70000-' }]);
  expect(Buffer.compare(await fs.readFile(target()), DATA)).toBe(0);
  expect(await listFiles(cacheDir)).toEqual(
    ['fake.pth', 'fake.pth.verified'].map((n) => path.join('models', entry.sha256, n)),
  );
});

test('a lock that stops being refreshed is treated as stale', async () => {
  server.serveFile(FILE_PATH, DATA);
  await fs.mkdir(path.dirname(target()), { recursive: true });
  // Another machine's lock (pid unknown here), last refreshed a minute ago.
  await fs.writeFile(`${target()}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', token: '1-x' }));
  const old = new Date(Date.now() - 60_000);
  await fs.utimes(`${target()}.lock`, old, old);
  const result = await resolveModelFile(entry, opts({ lockStaleMs: 10_000 }));
  expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
});

test('a live lock makes the caller wait, and a cancelled wait is a usage error', async () => {
  await fs.mkdir(path.dirname(target()), { recursive: true });
  await fs.writeFile(`${target()}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: `${process.pid}-live` }));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  await expect(resolveModelFile(entry, opts({ signal: controller.signal }))).rejects.toThrow(/cancelled/);
  expect(server.hits).toHaveLength(0);
});
