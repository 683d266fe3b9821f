/**
 * Helpers for the CLI and end-to-end suites (test/cli, test/e2e): temp folders, a tiny
 * checkpoint, small WAV files, report parsing, a spawned CLI that can be signalled, and polling
 * (never fixed sleeps).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLI } from './cli.js';
import { REPO_ROOT } from './golden.js';
import { testSignal, writeWav } from './wav-corpus.js';

export { CLI, REPO_ROOT };
export { removeDir, tempDir } from './temp.js';
export { tinyFamily, writeTinyCheckpoint } from './tiny-model.js';

// ---- audio ------------------------------------------------------------------------------------

export interface ToneOptions {
  seconds: number;
  sampleRate?: number;
  channels?: number;
  format?: 'pcm16' | 'pcm24' | 'pcm32';
  seed?: number;
}

/** A sine + noise WAV (see `testSignal`), in memory. */
export function toneWav(options: ToneOptions): Buffer {
  const format = options.format ?? 'pcm16';
  const bits = format === 'pcm16' ? 16 : format === 'pcm24' ? 24 : 32;
  const sampleRate = options.sampleRate ?? 16000;
  const channels = options.channels ?? 1;
  const frames = Math.round(options.seconds * sampleRate);
  return writeWav({ format, sampleRate, channels, samples: testSignal(frames, channels, bits, options.seed ?? 1) });
}

export async function writeTone(file: string, options: ToneOptions): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, toneWav(options));
}

// ---- reports ----------------------------------------------------------------------------------

export type Rec = Record<string, unknown>;

export function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const records = parse(text, { skip_empty_lines: false, relax_column_count: false }) as string[][];
  const [header, ...body] = records;
  if (!header) throw new Error('empty CSV');
  return { header, rows: body.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]!]))) };
}

/** Parses JSONL strictly: every line (the last one included) must end with "\n" and be an object. */
export function parseJsonl(text: string): Rec[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`JSONL does not end with a newline: ...${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Rec;
      } catch {
        throw new Error(`JSONL line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
      }
    });
}

/** Stack-trace lines (`    at fn (file:line:col)`), which users must never see without --debug. */
export function stackLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\s+at\s/.test(line));
}

/** Hidden temp files a writer leaves next to its output (`.<name>.<pid>-<hex>.tmp`). */
export function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

// ---- polling and spawned runs ----------------------------------------------------------------

/** Polls `check` every `intervalMs` until it returns a truthy value; fails after `timeoutMs`. */
export async function pollUntil<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 60_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface SpawnedCli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal that killed it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built CLI without waiting for it (for signals and resource measurements). */
export function spawnCli(
  args: readonly string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    command?: readonly string[];
    /** Leader of a process group of its own, as a shell job is (for signals sent to the group). */
    detached?: boolean;
    /** A file descriptor to read stdin from, of the caller's own (a FIFO nobody writes to, say); default: an empty pipe. */
    stdin?: number;
  } = {},
): SpawnedCli {
  const command = options.command ?? [process.execPath, CLI];
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  }) as ChildProcessWithoutNullStreams;
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin?.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Reads a file that may not exist (yet, or any more). */
export function readIfThere(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Asserts a number-like cell is a finite number and returns it. */
export function finite(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
    throw new Error(`${what}: expected a finite number, got ${JSON.stringify(value)}`);
  }
  return n;
}
