#!/usr/bin/env node
/**
 * Coverage-guided fuzzing of every parser of untrusted bytes with Jazzer.js (libFuzzer for
 * Node.js). `npm run fuzz -- [--time SECONDS] [--jobs N] [TARGET...]` runs each target (all by
 * default, see fuzz/targets/) for SECONDS (default 300), N at a time (default 2), under
 * `nice -n 10`, on the compiled code in dist/ (run `npm run build` first).
 *
 * Each target starts from its checked-in seeds (fuzz/corpus/<target>/, read only) and keeps
 * what it finds in fuzz/.work/corpus/<target>/ (not committed), so a later campaign goes on
 * from there. A crash, hang (> 10 s for one input), memory blow-up (> 2 GB) or contract
 * violation stops that target and leaves the input in fuzz/.work/artifacts/; the run then
 * exits 1. Every such input becomes a regression test (test/fuzz/regressions.test.ts).
 * `--json FILE` writes executions and coverage per target.
 *
 * `--replay` runs no fuzzer: it calls each target's fuzz function in this process on every
 * seed and on every input kept in fuzz/regressions/<target>/ (inputs that once failed), so the
 * contracts are checked on them without Jazzer, and fast.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const work = path.join(here, '.work');
const require = createRequire(import.meta.url);

/** Targets: name, and whether its fuzz function is synchronous (Jazzer's faster --sync mode). */
export const TARGETS = [
  ['wav', false],
  ['flac', false],
  ['mpeg', false],
  ['ogg', false],
  ['detect', false],
  ['mpeg-header', true],
  ['ogg-headers', true],
  ['pickle', true],
  ['zip', false],
  ['safetensors', false],
  ['report-csv', true],
  ['report-json', true],
  ['report-jsonl', true],
  ['csv-from-json', true],
  ['manifest', true],
  ['manifest-stream', false],
  ['gates', true],
];

function parseArgs(argv) {
  const options = { time: 300, jobs: 2, nice: true, targets: [], json: null, runs: null, replay: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--time') options.time = Number(argv[++i]);
    else if (a === '--runs') options.runs = Number(argv[++i]);
    else if (a === '--jobs') options.jobs = Number(argv[++i]);
    else if (a === '--json') options.json = argv[++i];
    else if (a === '--no-nice') options.nice = false;
    else if (a === '--replay') options.replay = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else options.targets.push(a);
  }
  const known = new Set(TARGETS.map(([name]) => name));
  for (const t of options.targets) if (!known.has(t)) throw new Error(`unknown target ${t} (known: ${[...known].join(', ')})`);
  if (!(options.time > 0) || !(options.jobs >= 1)) throw new Error('--time and --jobs must be positive');
  return options;
}

/** Flips the VER_FLG_WEAK bit of the named version needs of an ELF64 little-endian file. */
function weakenVersionNeeds(bytes, names) {
  const b = Buffer.from(bytes);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const section = (i) => {
    const o = shoff + i * shentsize;
    return { name: b.readUInt32LE(o), type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 24)), link: b.readUInt32LE(o + 40) };
  };
  const str = (sec, off) => {
    const start = sec.offset + off;
    return b.toString('latin1', start, b.indexOf(0, start));
  };
  const shstr = section(shstrndx);
  let verneed = null;
  for (let i = 0; i < shnum; i++) if (str(shstr, section(i).name) === '.gnu.version_r') verneed = section(i);
  if (!verneed) throw new Error('no .gnu.version_r section');
  const dynstr = section(verneed.link);
  let weakened = 0;
  for (let off = verneed.offset; ; ) {
    const cnt = b.readUInt16LE(off + 2);
    let aux = off + b.readUInt32LE(off + 8);
    for (let k = 0; k < cnt; k++) {
      if (names.includes(str(dynstr, b.readUInt32LE(aux + 8)))) {
        b.writeUInt16LE(b.readUInt16LE(aux + 4) | 2, aux + 4);
        weakened++;
      }
      aux += b.readUInt32LE(aux + 12);
    }
    const next = b.readUInt32LE(off + 12);
    if (next === 0) break;
    off += next;
  }
  return { bytes: b, weakened };
}

/** Environment additions that make Jazzer's prebuilt addon load here (see compat/README.md). */
function compatEnvironment() {
  const addon = path.join(path.dirname(require.resolve('@jazzer.js/fuzzer/package.json')), 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { encoding: 'utf8' });
  if (probe.status === 0) return {};
  if (!/GLIBC_2\.38|GLIBCXX_3\.4\.32/.test(probe.stderr)) throw new Error(`cannot load Jazzer's addon:\n${probe.stderr}`);
  mkdirSync(work, { recursive: true });
  const so = path.join(work, 'compat.so');
  if (!existsSync(so)) {
    const c = path.join(work, 'compat-c.o');
    const cc = path.join(work, 'compat-cc.o');
    const steps = [
      ['gcc', ['-c', '-fPIC', '-O2', path.join(here, 'compat', 'compat.c'), '-o', c]],
      ['g++', ['-c', '-fPIC', '-O2', path.join(here, 'compat', 'compat.cc'), '-o', cc]],
      ['g++', ['-shared', '-o', so, c, cc, `-Wl,--version-script=${path.join(here, 'compat', 'compat.map')}`]],
    ];
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`${cmd} failed: Jazzer's addon needs glibc 2.38, and building the compatibility shim needs gcc and g++`);
    }
  }
  const patched = path.join(work, path.basename(addon));
  const { bytes, weakened } = weakenVersionNeeds(readFileSync(addon), ['GLIBC_2.38', 'GLIBCXX_3.4.32']);
  if (weakened === 0) throw new Error('the Jazzer addon changed: no version needs to weaken');
  // Rewritten only when it differs, and by rename: a running campaign has the file mapped, and
  // writing into it in place kills that process.
  if (!existsSync(patched) || !readFileSync(patched).equals(bytes)) {
    writeFileSync(`${patched}.${process.pid}`, bytes);
    renameSync(`${patched}.${process.pid}`, patched);
  }
  return {
    LD_PRELOAD: [so, process.env.LD_PRELOAD].filter(Boolean).join(':'),
    NODE_OPTIONS: [`--require ${path.join(here, 'compat', 'redirect.cjs')}`, process.env.NODE_OPTIONS].filter(Boolean).join(' '),
    TTS_CRITIC_JAZZER_ADDON: patched,
  };
}

/** Runs one target; resolves to its statistics. */
function runTarget(name, sync, options, env) {
  const corpus = path.join(work, 'corpus', name);
  const seeds = path.join(here, 'corpus', name);
  const artifacts = path.join(work, 'artifacts');
  mkdirSync(corpus, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  const dict = path.join(here, 'dict', `${name}.dict`);
  const cli = path.join(path.dirname(require.resolve('@jazzer.js/core/package.json')), 'dist', 'cli.js');
  const args = [
    // V8 turns WebAssembly out-of-bounds accesses into exceptions through a SIGSEGV handler,
    // which Jazzer's own handler replaces: every trap of the wasm decoders (a RuntimeError the
    // code catches) would be reported as a crash. Explicit bounds checks need no signal.
    '--wasm-enforce-bounds-checks',
    cli,
    path.join(here, 'targets', `${name}.fuzz.mjs`),
    corpus,
    ...(existsSync(seeds) ? [seeds] : []),
    '--includes', `${root}/dist/`,
    '--excludes', 'node_modules',
    '--disable_bug_detectors', '.*',
    ...(sync ? ['--sync'] : []),
    '--',
    `-max_total_time=${options.time}`,
    ...(options.runs ? [`-runs=${options.runs}`] : []),
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-max_len=65536',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/${name}-`,
    ...(existsSync(dict) ? [`-dict=${dict}`] : []),
  ];
  const [cmd, cmdArgs] = options.nice && process.platform !== 'win32' ? ['nice', ['-n', '10', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (chunk) => {
      log += chunk;
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      const stat = (key) => Number(new RegExp(`stat::${key}:\\s*(\\d+)`).exec(log)?.[1] ?? NaN);
      const lastCov = [...log.matchAll(/\bcov: (\d+) ft: (\d+)/g)].at(-1);
      const result = {
        target: name,
        ok: code === 0,
        exitCode: code,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        // The final statistics, else the last progress line (#N) when the log's end was cut.
        executions: stat('number_of_executed_units') || Number([...log.matchAll(/^#(\d+)\s/gm)].at(-1)?.[1] ?? NaN),
        execPerSecond: stat('average_exec_per_sec'),
        coverage: lastCov ? Number(lastCov[1]) : NaN,
        features: lastCov ? Number(lastCov[2]) : NaN,
        corpus: readdirSync(corpus).length,
        artifact: /Test unit written to (\S+)/.exec(log)?.[1] ?? null,
        log: code === 0 ? undefined : log.slice(-6000),
      };
      resolve(result);
    });
  });
}

/** Calls each target's fuzz function on its seeds and kept regressions; returns the failures. */
async function replay(targets) {
  let inputs = 0;
  const failures = [];
  for (const [name] of targets) {
    const { fuzz } = await import(pathToFileURL(path.join(here, 'targets', `${name}.fuzz.mjs`)).href);
    for (const dir of [path.join(here, 'corpus', name), path.join(here, 'regressions', name)]) {
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).sort()) {
        inputs++;
        try {
          // As Jazzer hands them over: a view into a larger buffer whose other bytes are junk,
          // so code that reads `.buffer` without `.byteOffset` fails here too.
          const bytes = readFileSync(path.join(dir, file));
          const padded = Buffer.alloc(bytes.length + 64, 0xaa);
          bytes.copy(padded, 32);
          await fuzz(padded.subarray(32, 32 + bytes.length));
        } catch (error) {
          failures.push(`${name}: ${path.relative(root, path.join(dir, file))}: ${error instanceof Error ? error.stack : error}`);
        }
      }
    }
  }
  console.log(`replayed ${inputs} inputs of ${targets.length} targets: ${failures.length} failed`);
  for (const f of failures) console.log(f);
  return failures.length === 0;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (options.replay) {
    process.exitCode = (await replay(TARGETS.filter(([name]) => options.targets.length === 0 || options.targets.includes(name)))) ? 0 : 1;
    return;
  }
  const env = compatEnvironment();
  const queue = TARGETS.filter(([name]) => options.targets.length === 0 || options.targets.includes(name));
  const results = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const r = await runTarget(next[0], next[1], options, env);
      results.push(r);
      const line = `${r.ok ? 'ok  ' : 'FAIL'} ${r.target.padEnd(13)} ${String(r.executions).padStart(9)} runs  cov ${r.coverage}  ft ${r.features}  corpus ${r.corpus}  ${r.seconds} s`;
      console.log(line);
      if (!r.ok) console.log(`${r.log}\n${r.artifact ? `input kept in ${r.artifact}` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: options.jobs }, worker));
  if (options.json) writeFileSync(options.json, `${JSON.stringify(results.map(({ log, ...r }) => r), null, 2)}\n`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
