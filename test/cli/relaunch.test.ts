/**
 * The relaunch (src/cli/relaunch.ts): when the launcher relaunches a command, with what
 * environment and Node.js flags, and how the relaunched process's end becomes the launcher's. The launcher as a
 * real process (signals, a vanished launcher): test/e2e/relaunch.test.ts.
 */
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  HUGE_PAGES_ENV,
  hugePageEnvironment,
  MMAP_THRESHOLD_BYTES,
  RELAUNCH_ENV,
  RELAUNCHED_ENV,
  relaunchPlan,
  runRelaunched,
  SEMI_SPACE_MB,
  selectedMode,
  type HostFacts,
} from '../../src/cli/relaunch.js';
import { pollUntil, readIfThere } from '../helpers/e2e.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const UBUNTU: HostFacts = { platform: 'linux', hugePageMode: 'madvise', glibc: '2.39' };
const host = (facts: Partial<HostFacts> = {}) => () => ({ ...UBUNTU, ...facts });
const SCORE = ['score', 'refs', 'outs'];

const SEMI_SPACE = `--max-semi-space-size=${SEMI_SPACE_MB}`;
const MMAP = `glibc.malloc.mmap_threshold=${MMAP_THRESHOLD_BYTES}`;

describe('relaunchPlan', () => {
  test('score on Linux, glibc >= 2.35, huge pages on request: huge pages, the pinned mmap threshold and the smaller young generation, the rest kept', () => {
    const plan = relaunchPlan(SCORE, { PATH: '/bin', TTS_CRITIC_CACHE: '/c' }, host(), []);
    expect(plan).toEqual({ env: { PATH: '/bin', TTS_CRITIC_CACHE: '/c', GLIBC_TUNABLES: `glibc.malloc.hugetlb=1:${MMAP}` }, nodeFlags: [SEMI_SPACE] });
  });

  test.each([['merge'], ['report']])('%s: the memory settings, no huge pages', (command) => {
    expect(relaunchPlan([command, 'a.jsonl'], {}, host(), [])).toEqual({ env: { GLIBC_TUNABLES: MMAP }, nodeFlags: [SEMI_SPACE] });
  });

  test("the user's other tunables are kept, ours appended", () => {
    expect(relaunchPlan(SCORE, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, host(), [])?.env.GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:${MMAP}`);
  });

  test.each([
    ['another command', ['compare', 'a.jsonl', 'b.jsonl'], {}],
    ['no command', [], {}],
    ['score --help', ['score', '--help'], {}],
    ['merge -h', ['merge', '-h'], {}],
    ['the relaunched process itself', SCORE, { [RELAUNCHED_ENV]: '4242' }],
    ['TTS_CRITIC_RELAUNCH=0', SCORE, { [RELAUNCH_ENV]: '0' }],
  ])('no relaunch for %s', (_, argv, env) => {
    expect(relaunchPlan(argv, env, () => { throw new Error('the machine need not be asked'); }, [])).toBeNull();
  });

  test.each([
    ["the user's own hugetlb setting", { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, `glibc.malloc.hugetlb=0:${MMAP}`],
    ["the user's own hugetlb setting among others", { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' }, `glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2:${MMAP}`],
    ['TTS_CRITIC_HUGE_PAGES=0', { [HUGE_PAGES_ENV]: '0' }, MMAP],
  ])('no huge pages asked for with %s', (_, env, tunables) => {
    expect(relaunchPlan(SCORE, env, host(), [])?.env.GLIBC_TUNABLES).toBe(tunables);
  });

  test.each([
    ['macOS', { platform: 'darwin' as const }, undefined],
    ['huge pages for every process already (always)', { hugePageMode: 'always' }, MMAP],
    ['no huge pages (never)', { hugePageMode: 'never' }, MMAP],
    ['no transparent huge pages at all', { hugePageMode: null }, MMAP],
    ['a glibc that ignores the huge-page tunable (2.34)', { glibc: '2.34' }, MMAP],
    ['a glibc without tunables (2.25)', { glibc: '2.25' }, undefined],
    ['musl (no glibc)', { glibc: null }, undefined],
  ])('on %s: no huge pages, the tunables that apply, and the young generation', (_, facts, tunables) => {
    const plan = relaunchPlan(SCORE, {}, host(facts), []);
    expect(plan?.env.GLIBC_TUNABLES).toBe(tunables);
    expect(plan?.nodeFlags).toEqual([SEMI_SPACE]);
  });

  test('glibc 3.0 and 2.35 get huge pages', () => {
    expect(relaunchPlan(SCORE, {}, host({ glibc: '3.0' }), [])?.env.GLIBC_TUNABLES).toBe(`glibc.malloc.hugetlb=1:${MMAP}`);
    expect(relaunchPlan(SCORE, {}, host({ glibc: '2.35' }), [])?.env.GLIBC_TUNABLES).toBe(`glibc.malloc.hugetlb=1:${MMAP}`);
  });

  test('TTS_CRITIC_HUGE_PAGES=1 asks for huge pages whatever the machine', () => {
    expect(relaunchPlan(SCORE, { [HUGE_PAGES_ENV]: '1' }, host({ platform: 'darwin', glibc: null }), [])?.env.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
  });

  test.each([
    ['a tunable', { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, 'glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=1'],
    ['MALLOC_MMAP_THRESHOLD_', { MALLOC_MMAP_THRESHOLD_: '65536' }, 'glibc.malloc.hugetlb=1'],
  ])("the user's own mmap threshold (%s) stands", (_, env, tunables) => {
    expect(relaunchPlan(SCORE, env, host(), [])?.env.GLIBC_TUNABLES).toBe(tunables);
  });

  test.each([
    ['on the command line', ['--max-semi-space-size=32'], {}],
    ['spelt with underscores', ['--max_semi_space_size', '32'], {}],
    ['in NODE_OPTIONS', [], { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=8' }],
  ])("the user's own semi-space size (%s) stands", (_, execArgv, env) => {
    expect(relaunchPlan(['merge', 'a.jsonl'], env, host(), execArgv)?.nodeFlags).toEqual([]);
  });

  test('nothing to change: no relaunch', () => {
    expect(relaunchPlan(['merge', 'a.jsonl'], { MALLOC_MMAP_THRESHOLD_: '131072' }, host(), ['--max-semi-space-size=16'])).toBeNull();
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

  test('passes the arguments, environment and Node.js flags on, names the launcher, and resolves with the exit code', async () => {
    const file = script(
      'code.mjs',
      `writeFileSync(out, JSON.stringify({ argv: process.argv.slice(2), flags: process.execArgv.slice(-1), tunables: process.env.GLIBC_TUNABLES, launcher: process.env.${RELAUNCHED_ENV}, parent: process.ppid }));\nprocess.exitCode = 3;`,
    );
    const out = path.join(dir, 'code.json');
    const result = await runRelaunched(file, ['score', 'a b', ''], { env: { ...process.env, OUT: out, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, nodeFlags: ['--max-semi-space-size=4'] });
    expect(result).toEqual({ code: 3 });
    expect(JSON.parse(readIfThere(out)!)).toEqual({
      argv: ['score', 'a b', ''],
      flags: ['--max-semi-space-size=4'],
      tunables: 'glibc.malloc.hugetlb=1',
      launcher: String(process.pid),
      parent: process.pid,
    });
  });

  test('a process ended by a signal resolves with that signal', async () => {
    const file = script('killed.mjs', "process.kill(process.pid, 'SIGTERM');\nsetTimeout(() => {}, 10_000);");
    expect(await runRelaunched(file, [], { env: { ...process.env }, nodeFlags: [] })).toEqual({ signal: 'SIGTERM' });
  });

  test.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s reaching the launcher is passed on; the listener goes when the process ends', async (signal) => {
    const file = script(`wait-${signal}.mjs`, `process.on('${signal}', () => { writeFileSync(out + '.got', '${signal}'); process.exit(42); });\nwriteFileSync(out, 'ready');\nsetTimeout(() => {}, 30_000);`);
    const out = path.join(dir, `wait-${signal}`);
    // The signal's arrival at the launcher, as process would emit it.
    const arrivals = new EventEmitter();
    const running = runRelaunched(file, [], { env: { ...process.env, OUT: out }, nodeFlags: [] }, arrivals);
    await pollUntil(() => readIfThere(out) === 'ready', 'the stand-in to be ready', 20_000);
    expect(arrivals.listenerCount(signal)).toBe(1);
    arrivals.emit(signal, signal);
    expect(await running).toEqual({ code: 42 });
    expect(readIfThere(`${out}.got`)).toBe(signal);
    expect(arrivals.listenerCount(signal)).toBe(0);
  });
});
