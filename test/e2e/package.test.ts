/**
 * The package as users get it: `npm pack`, install the tarball into an empty project the way a
 * user's machine does (`npm install <tarball>`, the registry reachable; dependencies come from
 * the cache when they are there, else from the registry, never from this repository's
 * node_modules), then run `npx tts-critic` from there and import the library by its package
 * name. The install must bring exactly the tarball's dependency tree: the production packages
 * of our lockfile, nothing more.
 *
 * `npm pack --ignore-scripts`: the `prepack` script would rebuild dist/ in the repository while
 * other test files run the CLI from it; the suite's pretest step has built it already.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseJsonl, removeDir, stackLines, tempDir, writeTinyCheckpoint, writeTone, REPO_ROOT } from '../helpers/e2e.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/**
 * The environment for npm: without the npm_* variables an enclosing `npm test` sets (they
 * would point npm at this repository), keeping the cache and user config; CUDA download off.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && lower !== 'npm_config_cache' && lower !== 'npm_config_userconfig') continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

interface PackFile {
  path: string;
}

let dir: string;
let project: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  dir = tempDir('package');
  const env = npmEnv();
  const dry = await run(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 });
  packedFiles = (JSON.parse(dry.stdout) as Array<{ files: PackFile[] }>)[0]!.files.map((f) => f.path).sort();

  const packed = await run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 });
  tarball = path.join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);

  project = path.join(dir, 'consumer');
  mkdirSync(project);
  // An empty project of its own, so npm does not walk up to a folder above it.
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'e2e-consumer', version: '1.0.0', private: true }, null, 2));
  try {
    await run(NPM, ['install', '--no-audit', '--no-fund', tarball], { cwd: project, env, maxBuffer: 16 << 20 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`npm install of the tarball failed (is the npm registry reachable?):\n${e.stderr ?? e.message}`);
  }

  for (const side of ['ref', 'syn']) {
    await writeTone(path.join(project, 'audio', side, 'one.wav'), { seconds: 0.5, seed: side === 'ref' ? 1 : 2 });
    await writeTone(path.join(project, 'audio', side, 'sub', 'two.wav'), { seconds: 0.4, sampleRate: 22050, seed: side === 'ref' ? 3 : 4 });
  }
  await writeTinyCheckpoint(path.join(project, 'D.pth'));
}, 240_000);

afterAll(() => removeDir(dir));

describe('the tarball', () => {
  test('holds the launcher, the built library and the README', () => {
    for (const file of ['package.json', 'README.md', 'bin/tts-critic.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts']) {
      expect(packedFiles).toContain(file);
    }
  });

  test('holds no tests, fixtures, sources, source maps or dev files', () => {
    const unwanted = packedFiles.filter(
      (f) =>
        /^(test|fixtures|src|bench|node_modules|\.ci|\.dev|\.git)\//.test(f) ||
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        /^(tsconfig.*\.json|jest\.config\.js|package-lock\.json|\.npmrc|\.gitignore)$/.test(f),
    );
    expect(unwanted).toEqual([]);
    // Only these top-level entries.
    expect([...new Set(packedFiles.map((f) => f.split('/')[0]))].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
  });
});

/**
 * Names of the packages in a lockfile's tree (`packages` keys are node_modules paths). Names,
 * not versions: the tarball carries version ranges, so a fresh install may pick newer patches.
 */
function lockedPackages(lockfile: string, keep: (entry: { dev?: boolean }) => boolean): Set<string> {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return new Set(
    Object.entries(lock.packages)
      .filter(([where, entry]) => where !== '' && keep(entry))
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
}

describe('installed from the tarball', () => {
  test('brings exactly the production dependency tree of our lockfile', () => {
    const installed = lockedPackages(path.join(project, 'node_modules', '.package-lock.json'), () => true);
    installed.delete('tts-critic');
    const production = lockedPackages(path.join(REPO_ROOT, 'package-lock.json'), (entry) => !entry.dev);
    expect(production.has('onnxruntime-node')).toBe(true);
    expect([...installed].sort()).toEqual([...production].sort());
  });

  const npx = (args: string[]) => run(NPX, ['--no-install', 'tts-critic', ...args], { cwd: project, env: npmEnv(), maxBuffer: 16 << 20 });

  test('`npx tts-critic score` scores a small pair', async () => {
    const { stdout, stderr } = await npx(['score', 'audio/ref', 'audio/syn', '--weights', 'D.pth', '--format', 'jsonl']);
    expect(stackLines(stderr)).toEqual([]);
    const records = parseJsonl(stdout);
    expect(records.map((r) => [r.ref, r.syn, r.status])).toEqual([
      ['audio/ref/one.wav', 'audio/syn/one.wav', 'ok'],
      ['audio/ref/sub/two.wav', 'audio/syn/sub/two.wav', 'ok'],
    ]);
    for (const r of records) {
      expect(Number.isFinite(r.fm)).toBe(true);
      expect(r.family).toBe('gpt-sovits');
    }
    expect(stderr).toMatch(/2 files: 2 ok, 0 error, 0 unpaired/);
  });

  test('`npx tts-critic --help` and `--version`', async () => {
    const help = await npx(['--help']);
    expect(help.stdout).toMatch(/Usage: tts-critic/);
    expect(help.stdout).toMatch(/Exit codes:/);
    const version = await npx(['--version']);
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules', 'tts-critic', 'package.json'), 'utf8')) as { version: string };
    const ours = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(ours.version);
    expect(version.stdout.trim()).toBe(ours.version);
  });

  test('a usage error exits 2 from the installed bin too', async () => {
    await expect(npx(['score', 'audio/ref', 'no-such-folder'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/synthesized folder not found/) });
  });

  test('the library imports by package name', async () => {
    const script = [
      "import { createScorer, score, discoverPairs, loadCheckpoint } from 'tts-critic';",
      "const { model, results } = await score('audio/ref', 'audio/syn', { weights: 'D.pth' });",
      'console.log(JSON.stringify({ fns: [createScorer, discoverPairs, loadCheckpoint].map((f) => typeof f), family: model.family, statuses: results.map((r) => r.status) }));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: npmEnv() });
    expect(JSON.parse(stdout)).toEqual({ fns: ['function', 'function', 'function'], family: 'gpt-sovits', statuses: ['ok', 'ok'] });
  });
});
