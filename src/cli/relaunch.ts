/**
 * Huge pages for the scoring process, by relaunching it once under glibc's huge-page tunable.
 *
 * Why: onnxruntime's arena holds the feature maps, tens of MB each for a 2 s window. With 4 KiB
 * pages a run pays a page fault on every first touch and a TLB miss on most strides through a map.
 * With 2 MiB pages, on a 2-core EPYC VM whose kernel hands them out on request (transparent
 * huge pages in `madvise` mode, the Debian and Ubuntu default), the first sovits5 window of a
 * process took 670-850 instead of 1070-1280 ms. A warm 0.5 s pair took 0.73-0.84 instead of
 * 0.96-1.05 s, and the 16-pair corpus 25.5-28.4 instead of 29.9-34.5 s (interleaved runs).
 *
 * Only the process's environment can ask for them: glibc reads `GLIBC_TUNABLES` (2.35 and
 * later: `glibc.malloc.hugetlb=1` makes malloc madvise its mappings) when the process starts,
 * Node.js cannot call madvise, and onnxruntime-node exposes no arena settings. So the launcher
 * starts the CLI once more with the tunable set, when that can help: Linux, glibc >= 2.35, the
 * kernel in `madvise` mode (in `always` mode every process already gets huge pages, in `never`
 * none can), the `score` command, and no hugetlb tunable of the user's own in the environment.
 * TTS_CRITIC_HUGE_PAGES=0 turns it off, =1 relaunches whatever the machine (the tests use both).
 * The relaunch costs one Node.js start-up (about 0.09 s, 45 MB), and the launcher stays as a
 * small process that passes signals on and exits as the scorer did.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TUNABLE = 'glibc.malloc.hugetlb';
/** The launcher's pid, in the relaunched process's environment: it never relaunches again and watches its launcher. */
export const RELAUNCHED_ENV = 'TTS_CRITIC_RELAUNCHED';
/** `0` turns the relaunch off; `1` relaunches without asking the machine. */
export const HUGE_PAGES_ENV = 'TTS_CRITIC_HUGE_PAGES';
/** The first glibc whose malloc knows the tunable; older ones ignore it. */
const MIN_GLIBC: readonly [number, number] = [2, 35];
/** Signals the launcher passes on to the scorer (the scorer handles INT and TERM; HUP ends it). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What decides whether a relaunch helps. */
export interface HostFacts {
  readonly platform: NodeJS.Platform;
  /** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled (`always`, `madvise`, `never`), or null if unreadable. */
  readonly hugePageMode: string | null;
  /** The C library's version when it is glibc (`2.36`), else null. */
  readonly glibc: string | null;
}

/**
 * The environment to relaunch the CLI with, or null when it should run as it is. `argv` is the
 * CLI's arguments (without node and the script).
 */
export function relaunchEnvironment(argv: readonly string[], env: NodeJS.ProcessEnv, host: () => HostFacts): NodeJS.ProcessEnv | null {
  if (argv[0] !== 'score' || argv.includes('--help') || argv.includes('-h')) return null;
  return hugePageEnvironment(env, host);
}

/**
 * `env` with the huge-page tunable added, for a process that will score, or null when it would
 * not help (see the module comment). The benchmarks start their in-process runs with it too.
 */
export function hugePageEnvironment(env: NodeJS.ProcessEnv, host: () => HostFacts): NodeJS.ProcessEnv | null {
  if (env[RELAUNCHED_ENV] || env[HUGE_PAGES_ENV] === '0') return null;
  const tunables = env.GLIBC_TUNABLES ?? '';
  // The user's own setting stands, whatever it says.
  if (tunables.split(':').some((entry) => entry.split('=')[0] === TUNABLE)) return null;
  if (env[HUGE_PAGES_ENV] !== '1') {
    const facts = host();
    if (facts.platform !== 'linux' || facts.hugePageMode !== 'madvise' || !atLeast(facts.glibc, MIN_GLIBC)) return null;
  }
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${TUNABLE}=1` : `${TUNABLE}=1` };
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
  if (process.platform === 'linux' && hugePageMode === 'madvise') {
    // The report's header names the glibc the process runs on (absent on musl); ~7 ms.
    // (excludeNetwork: Node.js >= 20.13, not in @types/node 20's ProcessReport.)
    (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    glibc = header?.glibcVersionRuntime ?? null;
  }
  return { platform: process.platform, hugePageMode, glibc };
}

/**
 * Runs `script argv` in a new Node.js process with `env` and the same Node.js flags, sharing
 * this one's stdin, stdout and stderr; passes SIGINT, SIGTERM and SIGHUP on. Resolves with the
 * exit code to leave with, or with the signal that ended the scorer (the caller raises it on
 * itself, so that whoever waits sees the same end as without the relaunch). Resolves null when
 * the process cannot be started: the caller then runs the CLI itself.
 */
export function runRelaunched(
  script: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  /** Where the signals to pass on arrive (tests give an emitter of their own). */
  signals: NodeJS.EventEmitter = process,
): Promise<{ code: number } | { signal: NodeJS.Signals } | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], { stdio: 'inherit', env: { ...env, [RELAUNCHED_ENV]: String(process.pid) } });
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
