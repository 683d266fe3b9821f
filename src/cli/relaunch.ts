/**
 * Process settings that only a process's start can take, by relaunching the CLI once.
 *
 * **Huge pages for `score`.** onnxruntime's arena holds the feature maps, tens of MB each for
 * a 2 s window. With 4 KiB pages a run pays a page fault on every first touch and a TLB miss on
 * most strides through a map. With 2 MiB pages, on a 2-core EPYC VM whose kernel hands them
 * out on request (transparent huge pages in `madvise` mode, the Debian and Ubuntu default), the
 * first sovits5 window of a process took 670-850 instead of 1070-1280 ms. A warm 0.5 s pair took
 * 0.73-0.84 instead of 0.96-1.05 s, and the 16-pair corpus 25.5-28.4 instead of 29.9-34.5 s
 * (interleaved runs). Only the environment can ask for them: glibc reads `GLIBC_TUNABLES` (2.35
 * and later: `glibc.malloc.hugetlb=1` makes malloc madvise its mappings) when the process
 * starts, Node.js cannot call madvise, and onnxruntime-node exposes no arena settings. Asked
 * for when that can help: Linux, glibc >= 2.35, the kernel in `madvise` mode (in `always` mode
 * every process already gets huge pages, in `never` none can), and no hugetlb tunable of the
 * user's own. TTS_CRITIC_HUGE_PAGES=0 leaves them out, =1 asks whatever the machine.
 *
 * **Memory for long passes (`score`, `merge`, `report`).** They stream millions of short-lived
 * records through a live set that is small or grows slowly (the summary's columns, a baseline
 * index, the list of pairs), so what the process keeps beyond that live set is most of its
 * peak. On a 1M-row `merge --baseline` (3.3 GB, 2-core VM) two settings took the peak from 398
 * to 333 MB, for 0-10% more time (the young generation collects more often):
 * - V8's semi-spaces at 4 MiB (`--max-semi-space-size=4`, default 16 on 64-bit): the young
 *   generation is resident whole once it has cycled, and these passes cycle it constantly (-31 MB).
 *   A flag of the user's own (on the command line or in NODE_OPTIONS) stands.
 * - glibc's mmap threshold pinned at its default, 128 KiB (`glibc.malloc.mmap_threshold`,
 *   glibc >= 2.26). Freeing one large block, a grown array, otherwise raises the threshold up to
 *   32 MiB; blocks up to that size then come from the heap arena, whose freed pages glibc keeps
 *   (-34 MB). A threshold of the user's own (tunable or MALLOC_MMAP_THRESHOLD_) stands.
 *
 * TTS_CRITIC_RELAUNCH=0 turns the relaunch off. It costs one Node.js start-up (about 0.09 s, 45
 * MB RSS of which 8.5 MB its own), and the launcher stays as a small process that passes
 * signals on and exits as the CLI did.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const HUGE_PAGES = 'glibc.malloc.hugetlb';
const MMAP_THRESHOLD = 'glibc.malloc.mmap_threshold';
/** glibc's own initial mmap threshold, kept from rising. */
export const MMAP_THRESHOLD_BYTES = 128 * 1024;
/** V8's semi-space for the long passes, MiB. */
export const SEMI_SPACE_MB = 4;
/** The launcher's pid, in the relaunched process's environment: it never relaunches again and watches its launcher. */
export const RELAUNCHED_ENV = 'TTS_CRITIC_RELAUNCHED';
/** `0` turns the relaunch off. */
export const RELAUNCH_ENV = 'TTS_CRITIC_RELAUNCH';
/** `0` leaves huge pages out; `1` asks for them without asking the machine. */
export const HUGE_PAGES_ENV = 'TTS_CRITIC_HUGE_PAGES';
/** The first glibc whose malloc knows the huge-page tunable; older ones ignore it. */
const MIN_GLIBC_HUGE_PAGES: readonly [number, number] = [2, 35];
/** The first glibc with GLIBC_TUNABLES (and its mmap threshold). */
const MIN_GLIBC_TUNABLES: readonly [number, number] = [2, 26];
/** The commands that relaunch: the long passes. */
const LONG_PASSES: ReadonlySet<string> = new Set(['score', 'merge', 'report']);
/** Signals the launcher passes on to the CLI (which handles INT and TERM; HUP ends it). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What decides whether a setting helps. */
export interface HostFacts {
  readonly platform: NodeJS.Platform;
  /** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled (`always`, `madvise`, `never`), or null if unreadable. */
  readonly hugePageMode: string | null;
  /** The C library's version when it is glibc (`2.36`), else null. */
  readonly glibc: string | null;
}

/** How to relaunch: the environment and the Node.js flags to add to this process's own. */
export interface Relaunch {
  readonly env: NodeJS.ProcessEnv;
  readonly nodeFlags: readonly string[];
}

/**
 * How to relaunch the CLI for `argv` (its arguments, without node and the script), or null when
 * it should run as it is. `execArgv` and `env.NODE_OPTIONS` carry the user's own Node.js flags.
 */
export function relaunchPlan(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  host: () => HostFacts,
  execArgv: readonly string[] = process.execArgv,
): Relaunch | null {
  if (env[RELAUNCHED_ENV] || env[RELAUNCH_ENV] === '0') return null;
  const command = argv[0];
  if (command === undefined || !LONG_PASSES.has(command) || argv.includes('--help') || argv.includes('-h')) return null;
  let facts: HostFacts | null = null;
  const ask = (): HostFacts => (facts ??= host());
  let out = command === 'score' ? (hugePageEnvironment(env, ask) ?? env) : env;
  out = mmapThresholdEnvironment(out, ask) ?? out;
  const nodeFlags = hasNodeFlag('max-semi-space-size', execArgv, env.NODE_OPTIONS) ? [] : [`--max-semi-space-size=${SEMI_SPACE_MB}`];
  return out === env && nodeFlags.length === 0 ? null : { env: out, nodeFlags };
}

/** `GLIBC_TUNABLES` of `env` with `entry` appended (or set). */
function withTunable(env: NodeJS.ProcessEnv, entry: string): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${entry}` : entry };
}

function hasTunable(env: NodeJS.ProcessEnv, name: string): boolean {
  return (env.GLIBC_TUNABLES ?? '').split(':').some((entry) => entry.split('=')[0] === name);
}

/** Whether `--<name>` (or its underscore spelling) is among the Node.js flags given. */
function hasNodeFlag(name: string, execArgv: readonly string[], nodeOptions = ''): boolean {
  const pattern = new RegExp(`^--${name.replace(/-/g, '[-_]')}(=|$)`);
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) => pattern.test(flag));
}

/**
 * `env` with the huge-page tunable added, for a process that will score, or null when it would
 * not help (see the module comment). The benchmarks start their in-process runs with it too.
 */
export function hugePageEnvironment(env: NodeJS.ProcessEnv, host: () => HostFacts): NodeJS.ProcessEnv | null {
  if (env[RELAUNCHED_ENV] || env[HUGE_PAGES_ENV] === '0') return null;
  // The user's own setting stands, whatever it says.
  if (hasTunable(env, HUGE_PAGES)) return null;
  if (env[HUGE_PAGES_ENV] !== '1') {
    const facts = host();
    if (facts.platform !== 'linux' || facts.hugePageMode !== 'madvise' || !atLeast(facts.glibc, MIN_GLIBC_HUGE_PAGES)) return null;
  }
  return withTunable(env, `${HUGE_PAGES}=1`);
}

/** `env` with glibc's mmap threshold pinned (see the module comment), or null where it does not apply. */
function mmapThresholdEnvironment(env: NodeJS.ProcessEnv, host: () => HostFacts): NodeJS.ProcessEnv | null {
  if (hasTunable(env, MMAP_THRESHOLD) || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return null;
  const facts = host();
  if (facts.platform !== 'linux' || !atLeast(facts.glibc, MIN_GLIBC_TUNABLES)) return null;
  return withTunable(env, `${MMAP_THRESHOLD}=${MMAP_THRESHOLD_BYTES}`);
}

function atLeast(version: string | null, [major, minor]: readonly [number, number]): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!match) return false;
  const [got, gotMinor] = [Number(match[1]), Number(match[2])];
  return got > major || (got === major && gotMinor >= minor);
}

/** The selected mode in the kernel's `always [madvise] never` line. */
export function selectedMode(text: string): string | null {
  return /\[(\w+)\]/.exec(text)?.[1] ?? null;
}

/** This machine's facts; read only when the command could relaunch. */
export function hostFacts(): HostFacts {
  let hugePageMode: string | null = null;
  try {
    hugePageMode = selectedMode(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    // No such file: a kernel without transparent huge pages, or not Linux.
  }
  let glibc: string | null = null;
  if (process.platform === 'linux') {
    // The report's header names the glibc the process runs on (absent on musl); ~7 ms.
    // (excludeNetwork: Node.js >= 20.13, not in @types/node 20's ProcessReport.)
    (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    glibc = header?.glibcVersionRuntime ?? null;
  }
  return { platform: process.platform, hugePageMode, glibc };
}

/**
 * Runs `script argv` in a new Node.js process with the plan's environment, this process's
 * Node.js flags and then the plan's (a flag given twice takes the last value), sharing
 * this one's stdin, stdout and stderr; passes SIGINT, SIGTERM and SIGHUP on. Resolves with the
 * exit code to leave with, or with the signal that ended the CLI (the caller raises it on
 * itself, so that whoever waits sees the same end as without the relaunch). Resolves null when
 * the process cannot be started: the caller then runs the CLI itself.
 */
export function runRelaunched(
  script: string,
  argv: readonly string[],
  plan: Relaunch,
  /** Where the signals to pass on arrive (tests give an emitter of their own). */
  signals: NodeJS.EventEmitter = process,
): Promise<{ code: number } | { signal: NodeJS.Signals } | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...plan.nodeFlags, script, ...argv], {
      stdio: 'inherit',
      env: { ...plan.env, [RELAUNCHED_ENV]: String(process.pid) },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED) signals.on(signal, forward);
    const done = (result: { code: number } | { signal: NodeJS.Signals } | null) => {
      for (const signal of FORWARDED) signals.off(signal, forward);
      resolve(result);
    };
    child.once('error', () => done(null));
    child.once('exit', (code, signal) => done(signal ? { signal } : { code: code ?? 1 }));
  });
}

/**
 * In the relaunched process: should its launcher (`launcher`, a pid) vanish without passing a
 * signal on (killed with SIGKILL, say), stop as on SIGTERM instead of scoring on unwatched.
 * Checked now and then every second.
 */
export function watchLauncher(launcher: number): void {
  // Not a pid a launcher could have (the variable set by hand, say): nothing to watch.
  if (!Number.isSafeInteger(launcher) || launcher <= 1) return;
  const check = () => {
    if (process.ppid === launcher) return false;
    process.kill(process.pid, 'SIGTERM');
    return true;
  };
  if (check()) return;
  const timer = setInterval(() => check() && clearInterval(timer), 1000);
  timer.unref();
}
