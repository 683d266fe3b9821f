/** Downloading against a local server: cache, resume, verification, redirects, errors, offline. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  modelCachePath,
  resolveModelFile,
  type ResolveModelOptions,
} from '../../src/zoo/index.js';
import { UsageError } from '../../src/errors.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { DATA, FILE_PATH, FakeServer, fakeEntry, fileHandler, listFiles, startServerAndCache, stopServerAndCache } from './helpers.js';

let server: FakeServer;
let cacheDir: string;

beforeEach(async () => {
  ({ server, cacheDir } = await startServerAndCache());
});
afterEach(() => stopServerAndCache(server, cacheDir));

/** Every test pins cache, server and an empty env: nothing can leak to the real cache or net. */
function opts(extra: ResolveModelOptions = {}): ResolveModelOptions {
  return { cacheDir, baseUrl: server.origin, env: {}, retryDelayMs: 0, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).not.toContain('\n');
  return error as Error;
}

const entry = fakeEntry();
const target = () => modelCachePath(entry, { cacheDir });
const rel = (...names: string[]) => names.map((n) => path.join('models', entry.sha256, n)).sort();

describe('first download and the cache', () => {
  test('downloads, reports progress, verifies and stores content-addressed', async () => {
    server.serveFile(FILE_PATH, DATA);
    const progress: [number, number | null][] = [];
    const result = await resolveModelFile(entry, opts({ onProgress: (r, t) => progress.push([r, t]) }));

    expect(result).toEqual({ path: target(), entry, downloaded: true });
    expect(result.path).toBe(path.join(cacheDir, 'models', entry.sha256, 'fake.pth'));
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress[0]).toEqual([0, DATA.length]);
    expect(progress.at(-1)).toEqual([DATA.length, DATA.length]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
    // Only the file and its marker remain: no part, no lock.
    expect(await listFiles(cacheDir)).toEqual(rel('fake.pth', 'fake.pth.verified'));
    expect(server.hits).toEqual([{ path: FILE_PATH, range: undefined }]);
  });

  test('a second run uses the cache without a single request', async () => {
    server.serveFile(FILE_PATH, DATA);
    await resolveModelFile(entry, opts());
    const second = await resolveModelFile(entry, opts());
    expect(second).toEqual({ path: target(), entry, downloaded: false });
    expect(server.hits).toHaveLength(1);
  });

  test('without the marker the cached file is re-hashed, still without a request', async () => {
    server.serveFile(FILE_PATH, DATA);
    await resolveModelFile(entry, opts());
    await fs.rm(`${target()}.verified`);
    expect((await resolveModelFile(entry, opts())).downloaded).toBe(false);
    expect(server.hits).toHaveLength(1);
    expect(await listFiles(cacheDir)).toEqual(rel('fake.pth', 'fake.pth.verified'));
  });

  test('a cached file changed on disk is caught: re-downloaded online, refused offline', async () => {
    server.serveFile(FILE_PATH, DATA);
    await resolveModelFile(entry, opts());
    const bad = Buffer.from(DATA);
    bad[1000] ^= 0xff;
    await fs.writeFile(target(), bad);
    await fs.utimes(target(), new Date(), new Date(Date.now() + 5000)); // make sure mtime moved

    const error = await failure(resolveModelFile(entry, opts({ offline: true })));
    expect(error.message).toContain(target());
    expect(error.message).toContain('does not match sha256');
    expect(server.hits).toHaveLength(1);

    const again = await resolveModelFile(entry, opts());
    expect(again.downloaded).toBe(true);
    expect(Buffer.compare(await fs.readFile(target()), DATA)).toBe(0);
    expect(server.hits).toHaveLength(2);
  });
});

describe('resume', () => {
  test('an interrupted download is kept and resumed with a Range request on the next run', async () => {
    server.serveFile(FILE_PATH, DATA, { dropAfter: 100_000 });
    const error = await failure(resolveModelFile(entry, opts({ retries: 0 })));
    expect(error.message).toMatch(/connection lost|closed/);
    expect(error.message).toContain('run again to resume');
    const partSize = (await fs.stat(`${target()}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThanOrEqual(100_000);
    expect(await listFiles(cacheDir)).toEqual(rel('fake.pth.part'));

    const progress: number[] = [];
    const result = await resolveModelFile(entry, opts({ onProgress: (r) => progress.push(r) }));
    expect(result.downloaded).toBe(true);
    expect(server.hits).toEqual([
      { path: FILE_PATH, range: undefined },
      { path: FILE_PATH, range: `bytes=${partSize}-` },
    ]);
    expect(progress[0]).toBe(partSize);
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
    expect(await listFiles(cacheDir)).toEqual(rel('fake.pth', 'fake.pth.verified'));
  });

  test('within one call, a dropped connection is retried from where it stopped', async () => {
    server.serveFile(FILE_PATH, DATA, { dropAfter: 150_000, dropTimes: 2 });
    const result = await resolveModelFile(entry, opts());
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
    expect(server.hits).toHaveLength(3);
    expect(server.hits[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(server.hits[2]!.range).toMatch(/^bytes=\d+-$/);
  });

  test('a server that ignores Range (200) restarts the file cleanly', async () => {
    let ignore = false;
    server.serveFile(FILE_PATH, DATA, { dropAfter: 120_000, ignoreRange: () => ignore });
    await failure(resolveModelFile(entry, opts({ retries: 0 })));
    expect((await fs.stat(`${target()}.part`)).size).toBeGreaterThan(0);

    ignore = true;
    const progress: number[] = [];
    const result = await resolveModelFile(entry, opts({ onProgress: (r) => progress.push(r) }));
    expect(server.hits[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(progress[0]).toBe(0);
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
    expect(await listFiles(cacheDir)).toEqual(rel('fake.pth', 'fake.pth.verified'));
  });

  test('an error answer to a resume request keeps the partial file', async () => {
    let mode: 'drop' | 'fail' | 'ok' = 'drop';
    const file = fileHandler(DATA);
    const dropping = fileHandler(DATA, { dropAfter: 100_000 });
    server.route(FILE_PATH, (req, res, s) => {
      if (mode === 'drop') dropping(req, res, s);
      else if (mode === 'fail') res.writeHead(503, 'Service Unavailable').end();
      else file(req, res, s);
    });
    await failure(resolveModelFile(entry, opts({ retries: 0 })));
    const partSize = (await fs.stat(`${target()}.part`)).size;
    mode = 'fail';
    const error = await failure(resolveModelFile(entry, opts({ retries: 0 })));
    expect(error.message).toContain('HTTP 503');
    expect(error.message).toContain('run again to resume');
    expect((await fs.stat(`${target()}.part`)).size).toBe(partSize);
    mode = 'ok';
    await resolveModelFile(entry, opts());
    expect(server.hits.map((h) => h.range)).toEqual([undefined, `bytes=${partSize}-`, `bytes=${partSize}-`]);
    expect(Buffer.compare(await fs.readFile(target()), DATA)).toBe(0);
  });

  test('416 or a 206 for another range makes the partial file start over', async () => {
    const whole = fileHandler(DATA);
    for (const answer of ['416', 'wrong-range'] as const) {
      server.routes.clear();
      server.hits.length = 0;
      server.route(FILE_PATH, (req, res, s) => {
        if (!req.headers.range) return whole(req, res, s);
        if (answer === '416') return void res.writeHead(416, { 'content-range': `bytes */${DATA.length}` }).end();
        res.writeHead(206, { 'content-length': DATA.length, 'content-range': `bytes 0-${DATA.length - 1}/${DATA.length}` });
        res.end(DATA);
      });
      await fs.rm(path.join(cacheDir, 'models'), { recursive: true, force: true });
      await fs.mkdir(path.dirname(target()), { recursive: true });
      await fs.writeFile(`${target()}.part`, Buffer.alloc(5000, 7)); // not even a prefix of DATA
      const result = await resolveModelFile(entry, opts());
      expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
      expect(server.hits[0]!.range).toBe('bytes=5000-');
      if (answer === '416') expect(server.hits.map((h) => h.range)).toEqual(['bytes=5000-', undefined]);
    }
  });

  test('a complete leftover part file is verified and used without a request', async () => {
    await fs.mkdir(path.dirname(target()), { recursive: true });
    await fs.writeFile(`${target()}.part`, DATA);
    const result = await resolveModelFile(entry, opts());
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
    expect(server.hits).toHaveLength(0);
  });

  test('cancelling keeps the partial file for the next run', async () => {
    server.serveFile(FILE_PATH, DATA, { chunk: 8192, chunkDelayMs: 5 });
    const controller = new AbortController();
    const error = await failure(
      resolveModelFile(entry, opts({ signal: controller.signal, onProgress: (r) => r > 50_000 && controller.abort() })),
    );
    expect(error.message).toContain('cancelled');
    expect((await fs.stat(`${target()}.part`)).size).toBeGreaterThan(0);
    const result = await resolveModelFile(entry, opts());
    expect(server.hits[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
  });
});

describe('verification and HTTP errors', () => {
  test('a sha256 mismatch fails with expected, got and the URL, and leaves nothing behind', async () => {
    server.serveFile(FILE_PATH, DATA);
    const wrong = fakeEntry({ sha256: 'ab'.repeat(32) });
    const error = await failure(resolveModelFile(wrong, opts()));
    expect(error.message).toContain('sha256 mismatch');
    expect(error.message).toContain(`expected ${'ab'.repeat(32)}`);
    expect(error.message).toContain(`got ${entry.sha256}`);
    expect(error.message).toContain(`${server.origin}${FILE_PATH}`);
    expect(error.message).not.toContain('mirror');
    expect(await listFiles(cacheDir)).toEqual([]);
    expect(server.hits).toHaveLength(1); // a mismatch is final, not retried
  });

  test('a mismatch on a mirror-sourced pin says the pin itself may be wrong', async () => {
    server.serveFile(FILE_PATH, DATA);
    const error = await failure(resolveModelFile(fakeEntry({ sha256: 'cd'.repeat(32), hashSource: 'mirror' }), opts()));
    expect(error.message).toMatch(/copied from a mirror.*zoo pin is wrong/);
  });

  test('a size the server announces differently fails before the body is read', async () => {
    server.serveFile(FILE_PATH, DATA);
    const error = await failure(resolveModelFile(fakeEntry({ bytes: DATA.length + 1 }), opts()));
    expect(error.message).toContain(`is ${DATA.length} bytes, expected ${DATA.length + 1}`);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  test('404 is one clear line with the URL and the cache path, not retried', async () => {
    const error = await failure(resolveModelFile(entry, opts()));
    expect(error.message).toContain('HTTP 404');
    expect(error.message).toContain(`${server.origin}${FILE_PATH}`);
    expect(error.message).toContain(target());
    expect(server.hits).toHaveLength(1);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  test('403 says access was denied', async () => {
    server.route(FILE_PATH, (_req, res) => res.writeHead(403, 'Forbidden').end());
    const error = await failure(resolveModelFile(entry, opts()));
    expect(error.message).toMatch(/HTTP 403 Forbidden \(access denied/);
  });

  test('5xx is retried, then reported', async () => {
    server.route(FILE_PATH, (_req, res) => res.writeHead(503, 'Service Unavailable').end());
    const error = await failure(resolveModelFile(entry, opts({ retries: 2 })));
    expect(error.message).toContain('HTTP 503');
    expect(server.hits).toHaveLength(3);
  });

  test('a refused connection is a usage error naming the URL', async () => {
    const deadOrigin = server.origin;
    await server.close();
    const error = await failure(resolveModelFile(entry, opts({ baseUrl: deadOrigin, retries: 0 })));
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain(deadOrigin);
    server = await new FakeServer().start(); // for afterEach
  });

  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  (asRoot || process.platform === 'win32' ? test.skip : test)('an unwritable cache is a usage error naming the path', async () => {
    server.serveFile(FILE_PATH, DATA);
    const readOnly = path.join(cacheDir, 'ro');
    await fs.mkdir(readOnly, { mode: 0o555 });
    try {
      const error = await failure(resolveModelFile(entry, opts({ cacheDir: readOnly })));
      expect(error.message).toMatch(/not writable \(EACCES\); choose another cache/);
      expect(error.message).toContain(readOnly);
      expect(server.hits).toHaveLength(0);
    } finally {
      await fs.chmod(readOnly, 0o755);
    }
  });

  test('a cache path that cannot be a directory is a usage error naming it', async () => {
    const blocker = path.join(cacheDir, 'file');
    await fs.writeFile(blocker, 'not a directory');
    const error = await failure(resolveModelFile(entry, opts({ cacheDir: blocker })));
    expect(error.message).toContain(`cannot store model "test-model" from ${server.origin}${FILE_PATH} at ${blocker}`);
  });

  test('no data for the stall timeout aborts with a message', async () => {
    server.serveFile(FILE_PATH, DATA, { hangAfter: 64 * 1024 });
    const error = await failure(resolveModelFile(entry, opts({ stallTimeoutMs: 300, retries: 0 })));
    expect(error.message).toMatch(/no data for 0.3 s after \d+ of \d+ bytes/);
    expect((await fs.stat(`${target()}.part`)).size).toBe(64 * 1024);
  });

  test('the stall timeout can come from TTS_CRITIC_DOWNLOAD_TIMEOUT (seconds)', async () => {
    server.route(FILE_PATH, () => undefined); // never answers
    const started = Date.now();
    const error = await failure(resolveModelFile(entry, opts({ env: { TTS_CRITIC_DOWNLOAD_TIMEOUT: '0.3' }, retries: 0 })));
    expect(error.message).toContain('no data for');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('redirects', () => {
  test('a redirect chain (relative and absolute, 301/302/307/308) is followed, Range included', async () => {
    const other = await new FakeServer().start();
    try {
      server.route(FILE_PATH, (_req, res) => res.writeHead(302, { location: '/hop/1' }).end());
      server.route('/hop/1', (_req, res) => res.writeHead(307, { location: `${server.origin}/hop/2` }).end());
      server.route('/hop/2', (_req, res) => res.writeHead(301, { location: `${other.origin}/cdn/blob` }).end());
      other.route('/cdn/blob', (_req, res) => res.writeHead(308, { location: '/cdn/real?sig=abc' }).end());
      other.serveFile('/cdn/real', DATA, { dropAfter: 90_000 });
      const result = await resolveModelFile(entry, opts());
      expect(Buffer.compare(await fs.readFile(result.path), DATA)).toBe(0);
      expect(server.hits.map((h) => h.path)).toEqual([FILE_PATH, '/hop/1', '/hop/2', FILE_PATH, '/hop/1', '/hop/2']);
      const cdn = other.hitsFor('/cdn/real');
      expect(cdn).toHaveLength(2);
      expect(cdn[1]!.range).toMatch(/^bytes=\d+-$/);
    } finally {
      await other.close();
    }
  });

  test('redirect loops stop after 10 hops', async () => {
    server.route(FILE_PATH, (_req, res) => res.writeHead(302, { location: FILE_PATH }).end());
    const error = await failure(resolveModelFile(entry, opts()));
    expect(error.message).toContain('more than 10 redirects');
    expect(server.hits).toHaveLength(11);
  });

  test('a redirect to a non-http scheme is refused', async () => {
    server.route(FILE_PATH, (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end());
    const error = await failure(resolveModelFile(entry, opts()));
    expect(error.message).toContain('unsupported URL scheme file:');
  });
});

describe('offline', () => {
  test('offline with the file cached: no request', async () => {
    server.serveFile(FILE_PATH, DATA);
    await resolveModelFile(entry, opts());
    for (const env of [{ TTS_CRITIC_OFFLINE: '1' }, { HF_HUB_OFFLINE: '1' }]) {
      expect((await resolveModelFile(entry, opts({ env }))).downloaded).toBe(false);
    }
    expect((await resolveModelFile(entry, opts({ offline: true }))).path).toBe(target());
    expect(server.hits).toHaveLength(1);
  });

  test('offline without the file: a usage error with the path, the URL and --weights, no request', async () => {
    server.serveFile(FILE_PATH, DATA);
    for (const extra of [{ offline: true }, { env: { HF_HUB_OFFLINE: '1' } }, { env: { TTS_CRITIC_OFFLINE: 'yes' } }]) {
      const error = await failure(resolveModelFile(entry, opts(extra)));
      expect(error.message).toContain(target());
      expect(error.message).toContain(`${server.origin}${FILE_PATH}`);
      expect(error.message).toContain('--weights FILE');
    }
    expect(server.hits).toHaveLength(0);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  test('a file placed by hand where the message says is accepted offline', async () => {
    await fs.mkdir(path.dirname(target()), { recursive: true });
    await fs.writeFile(target(), DATA);
    expect((await resolveModelFile(entry, opts({ offline: true }))).path).toBe(target());
  });
});

describe('environment precedence, end to end', () => {
  test('TTS_CRITIC_MODEL_URL beats HF_ENDPOINT; HF_ENDPOINT alone is used', async () => {
    const mirror = await new FakeServer().start();
    try {
      server.serveFile(FILE_PATH, DATA);
      mirror.serveFile(FILE_PATH, DATA);
      const a = tempDir('zoo');
      const b = tempDir('zoo');
      await resolveModelFile(entry, {
        cacheDir: a,
        env: { TTS_CRITIC_MODEL_URL: server.origin, HF_ENDPOINT: mirror.origin },
      });
      expect(server.hits).toHaveLength(1);
      expect(mirror.hits).toHaveLength(0);
      await resolveModelFile(entry, { cacheDir: b, env: { HF_ENDPOINT: `${mirror.origin}/` } });
      expect(mirror.hits).toHaveLength(1);
      removeDir(a);
      removeDir(b);
    } finally {
      await mirror.close();
    }
  });

  test('TTS_CRITIC_CACHE beats XDG_CACHE_HOME, which is used under tts-critic/', async () => {
    server.serveFile(FILE_PATH, DATA);
    const xdg = path.join(cacheDir, 'xdg');
    const own = path.join(cacheDir, 'own');
    const first = await resolveModelFile(entry, {
      baseUrl: server.origin,
      env: { TTS_CRITIC_CACHE: own, XDG_CACHE_HOME: xdg },
    });
    expect(first.path.startsWith(path.join(own, 'models') + path.sep)).toBe(true);
    const second = await resolveModelFile(entry, { baseUrl: server.origin, env: { XDG_CACHE_HOME: xdg } });
    expect(second.path.startsWith(path.join(xdg, 'tts-critic', 'models') + path.sep)).toBe(true);
    expect(server.hits).toHaveLength(2);
  });
});
