/**
 * The huge-page relaunch (src/cli/relaunch.ts): when the launcher relaunches `score`, with what
 * environment, and how the relaunched process's end becomes the launcher's. The launcher as a
 * real process (signals, a vanished launcher): test/e2e/relaunch.test.ts.
 */
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HUGE_PAGES_ENV, hugePageEnvironment, RELAUNCHED_ENV, relaunchEnvironment, runRelaunched, selectedMode, type HostFacts } from '../../src/cli/relaunch.js';
import { pollUntil, readIfThere } from '../helpers/e2e.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const UBUNTU: HostFacts = { platform: 'linux', hugePageMode: 'madvise', glibc: '2.39' };
const host = (facts: Partial<HostFacts> = {}) => () => ({ ...UBUNTU, ...facts });
const SCORE = ['score', 'refs', 'outs'];

describe('relaunchEnvironment', () => {
  test('score on Linux, glibc >= 2.35, huge pages on request: the tunable set, the relaunch marked, the rest kept', () => {
    const env = relaunchEnvironment(SCORE, { PATH: '/bin', TTS_CRITIC_CACHE: '/c' }, host());
    expect(env).toEqual({ PATH: '/bin', TTS_CRITIC_CACHE: '/c', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  });

  test("the user's other tunables are kept, ours appended", () => {
    expect(relaunchEnvironment(SCORE, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, host())?.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  });

  test.each([
    ['another command', ['report', 'scores.jsonl'], {}],
    ['no command', [], {}],
    ['score --help', ['score', '--help'], {}],
    ['score -h', ['score', '-h'], {}],
    ['the relaunched process itself', SCORE, { [RELAUNCHED_ENV]: '4242' }],
    ['TTS_CRITIC_HUGE_PAGES=0', SCORE, { [HUGE_PAGES_ENV]: '0' }],
    ["the user's own hugetlb setting", SCORE, { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }],
    ["the user's own hugetlb setting among others", SCORE, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' }],
  ])('no relaunch for %s', (_, argv, env) => {
    expect(relaunchEnvironment(argv, env, () => { throw new Error('the machine need not be asked'); })).toBeNull();
  });

  test.each([
    ['macOS', { platform: 'darwin' as const }],
    ['huge pages for every process already (always)', { hugePageMode: 'always' }],
    ['no huge pages (never)', { hugePageMode: 'never' }],
    ['no transparent huge pages at all', { hugePageMode: null }],
    ['a glibc that ignores the tunable (2.34)', { glibc: '2.34' }],
    ['musl (no glibc)', { glibc: null }],
  ])('no relaunch on %s', (_, facts) => {
    expect(relaunchEnvironment(SCORE, {}, host(facts))).toBeNull();
  });

  test('glibc 3.0 and 2.35 relaunch', () => {
    expect(relaunchEnvironment(SCORE, {}, host({ glibc: '3.0' }))).not.toBeNull();
    expect(relaunchEnvironment(SCORE, {}, host({ glibc: '2.35' }))).not.toBeNull();
  });

  test('TTS_CRITIC_HUGE_PAGES=1 relaunches without asking the machine', () => {
    const env = relaunchEnvironment(SCORE, { [HUGE_PAGES_ENV]: '1' }, () => { throw new Error('the machine need not be asked'); });
    expect(env?.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
  });
});

test('hugePageEnvironment: the same decision without a command (the benchmarks start their runs with it)', () => {
  expect(hugePageEnvironment({}, host())?.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
  expect(hugePageEnvironment({}, host({ hugePageMode: 'never' }))).toBeNull();
  expect(hugePageEnvironment({ [HUGE_PAGES_ENV]: '0' }, host())).toBeNull();
});

test('selectedMode reads the bracketed choice of the kernel file', () => {
  expect(selectedMode('always [madvise] never\n')).toBe('madvise');
  expect(selectedMode('[always] madvise never\n')).toBe('always');
  expect(selectedMode('garbage')).toBeNull();
});

describe('runRelaunched', () => {
  let dir: string;
  beforeAll(() => (dir = tempDir('relaunch')));
  afterAll(() => removeDir(dir));

  /** A stand-in for the CLI: a script that runs `body` with the argv and environment it was given. */
  function script(name: string, body: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, `import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';\nconst out = process.env.OUT;\n${body}\n`);
    return file;
  }

  test('passes the arguments and environment on, names the launcher, and resolves with the exit code', async () => {
    const file = script('code.mjs', `writeFileSync(out, JSON.stringify({ argv: process.argv.slice(2), tunables: process.env.GLIBC_TUNABLES, launcher: process.env.${RELAUNCHED_ENV}, parent: process.ppid }));\nprocess.exitCode = 3;`);
    const out = path.join(dir, 'code.json');
    const result = await runRelaunched(file, ['score', 'a b', ''], { ...process.env, OUT: out, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(result).toEqual({ code: 3 });
    expect(JSON.parse(readIfThere(out)!)).toEqual({ argv: ['score', 'a b', ''], tunables: 'glibc.malloc.hugetlb=1', launcher: String(process.pid), parent: process.pid });
  });

  test('a process ended by a signal resolves with that signal', async () => {
    const file = script('killed.mjs', "process.kill(process.pid, 'SIGTERM');\nsetTimeout(() => {}, 10_000);");
    expect(await runRelaunched(file, [], { ...process.env })).toEqual({ signal: 'SIGTERM' });
  });

  test.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s reaching the launcher is passed on; the listener goes when the process ends', async (signal) => {
    const file = script(`wait-${signal}.mjs`, `process.on('${signal}', () => { writeFileSync(out + '.got', '${signal}'); process.exit(42); });\nwriteFileSync(out, 'ready');\nsetTimeout(() => {}, 30_000);`);
    const out = path.join(dir, `wait-${signal}`);
    // The signal's arrival at the launcher, as process would emit it.
    const arrivals = new EventEmitter();
    const running = runRelaunched(file, [], { ...process.env, OUT: out }, arrivals);
    await pollUntil(() => readIfThere(out) === 'ready', 'the stand-in to be ready', 20_000);
    expect(arrivals.listenerCount(signal)).toBe(1);
    arrivals.emit(signal, signal);
    expect(await running).toEqual({ code: 42 });
    expect(readIfThere(`${out}.got`)).toBe(signal);
    expect(arrivals.listenerCount(signal)).toBe(0);
  });
});
