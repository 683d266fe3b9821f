/**
 * A local stand-in for Hugging Face: node:http on 127.0.0.1, random port, serving a few hundred
 * KB of deterministic bytes under `/<repo>/resolve/main/<file>`, with switches for the failure
 * modes the downloader must survive. Nothing here touches the internet.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ZooEntry } from '../../src/model/zoo.js';
import { removeDir, tempDir } from '../helpers/temp.js';

/** Deterministic pseudo-random bytes (xorshift32), so every run serves the same file. */
export function fakeCheckpoint(bytes: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export const DATA = fakeCheckpoint(300 * 1024 + 123);

export function fakeEntry(overrides: Partial<ZooEntry> = {}): ZooEntry {
  return {
    name: 'test-model',
    family: 'gpt-sovits',
    repo: 'acme/fake-zoo',
    file: 'sub/fake.pth',
    sha256: sha256(DATA),
    bytes: DATA.length,
    description: 'test fixture',
    hashSource: 'official',
    ...overrides,
  };
}

export const FILE_PATH = '/acme/fake-zoo/resolve/main/sub/fake.pth';

export interface Hit {
  readonly path: string;
  readonly range: string | undefined;
}

export interface FileOptions {
  /** Answer 200 with the whole file even when asked for a range. */
  ignoreRange?: boolean | (() => boolean);
  /** For the first `dropTimes` requests, destroy the socket after this many body bytes. */
  dropAfter?: number;
  dropTimes?: number;
  /** Send the body in chunks of this size with this pause between them. */
  chunk?: number;
  chunkDelayMs?: number;
  /** Stop sending (but keep the socket open) after this many body bytes. */
  hangAfter?: number;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: FakeServer) => void;

export class FakeServer {
  readonly hits: Hit[] = [];
  readonly routes = new Map<string, Handler>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  origin = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Body requests only (redirect hops count too). */
  hitsFor(p: string): Hit[] {
    return this.hits.filter((h) => h.path === p);
  }

  route(p: string, handler: Handler): this {
    this.routes.set(p, handler);
    return this;
  }

  serveFile(p: string, data: Buffer, options: FileOptions = {}): this {
    return this.route(p, fileHandler(data, options));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = new URL(req.url ?? '/', this.origin).pathname;
    this.hits.push({ path: p, range: req.headers.range });
    const handler = this.routes.get(p);
    if (handler) handler(req, res, this);
    else res.writeHead(404, 'Not Found').end('no such file');
  }
}

/** Serves `data` with Range support; each handler counts its own requests for `dropTimes`. */
export function fileHandler(data: Buffer, options: FileOptions = {}): Handler {
  let served = 0;
  return (req, res) => {
    const n = served++;
    const ignore = typeof options.ignoreRange === 'function' ? options.ignoreRange() : options.ignoreRange;
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (match && !ignore) {
      start = Number(match[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': data.length });
    }
    const body = data.subarray(start);
    const drop = options.dropAfter !== undefined && n < (options.dropTimes ?? 1) ? options.dropAfter : undefined;
    void sendBody(res, body, { ...options, drop });
  };
}

async function sendBody(
  res: http.ServerResponse,
  body: Buffer,
  options: FileOptions & { drop: number | undefined },
): Promise<void> {
  const chunk = options.chunk ?? 16 * 1024;
  let sent = 0;
  while (sent < body.length) {
    if (res.destroyed) return;
    if (options.hangAfter !== undefined && sent >= options.hangAfter) return; // keep the socket open, say nothing
    let end = Math.min(body.length, sent + chunk);
    if (options.drop !== undefined && end >= options.drop) end = Math.max(sent, options.drop);
    if (end > sent) await new Promise<void>((resolve) => res.write(body.subarray(sent, end), () => resolve()));
    sent = end;
    if (options.drop !== undefined && sent >= options.drop) {
      res.destroy();
      return;
    }
    if (options.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, options.chunkDelayMs));
  }
  res.end();
}

/** What each download test starts with: a started server and an empty cache folder. */
export async function startServerAndCache(): Promise<{ server: FakeServer; cacheDir: string }> {
  return { server: await new FakeServer().start(), cacheDir: tempDir('zoo') };
}

/** Undoes `startServerAndCache`: closes the server, removes the cache folder. */
export async function stopServerAndCache(server: FakeServer, cacheDir: string): Promise<void> {
  await server.close();
  removeDir(cacheDir);
}

/** Files under `dir`, relative, sorted: what a test expects to be left behind. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}
