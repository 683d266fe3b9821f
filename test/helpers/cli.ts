/**
 * Two ways to run the CLI in tests:
 *
 * - `runMain`: in-process, through `main(argv, io)` with captured streams: the default for CLI
 *   behaviour (flags, outputs, gates, exit codes). No process start, no module loading, no
 *   onnxruntime initialisation per call.
 * - `runCli`: the built launcher (bin/tts-critic.js -> dist/) as a child process, as users run
 *   it: kept for the few end-to-end tests that need a real process (signals, closed stdout,
 *   memory of a long file, the installed package).
 *
 * Both resolve to the same `CliRun`, so a test can switch between them.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { REPO_ROOT } from './golden.js';

export const CLI = path.join(REPO_ROOT, 'bin', 'tts-critic.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly input?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A stream that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Only one in-process run at a time: it changes the working folder and environment. */
let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `main(args)` in this process with `cwd`, `env` and stdin as given, and captured stdout
 * and stderr. stderr is not a terminal, so progress prints plain lines, as in CI.
 */
export function runMain(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const run = running.then(async (): Promise<CliRun> => {
    const stdout = capture();
    const stderr = capture();
    const stdin = options.input !== undefined ? Readable.from([options.input]) : new PassThrough().end();
    const io: CliIO = { stdout: stdout.stream, stderr: stderr.stream as unknown as NodeJS.WriteStream, stdin };
    const savedCwd = process.cwd();
    const savedEnv = { ...process.env };
    try {
      process.chdir(options.cwd ?? REPO_ROOT);
      Object.assign(process.env, options.env ?? {});
      const code = await main(args, io);
      return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
    } finally {
      process.chdir(savedCwd);
      for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
      Object.assign(process.env, savedEnv);
    }
  });
  running = run.catch(() => undefined);
  return run;
}
