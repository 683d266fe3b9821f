// Runs every benchmark in turn (npm run bench builds first). Benchmarks print throughput; they
// are not tests and assert nothing beyond the work succeeding.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostFacts, hugePageEnvironment } from '../dist/cli/relaunch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The benchmarks that score in their own process get the huge pages the CLI relaunches for
// (src/cli/relaunch.ts), so their figures match what users run.
const env = hugePageEnvironment(process.env, hostFacts) ?? process.env;
for (const bench of ['corpus.mjs', 'throughput.mjs', 'checkpoint-load.mjs', 'resample.mjs']) {
  console.log(`\n== ${bench}`);
  const run = spawnSync(process.execPath, [path.join(here, bench)], { stdio: 'inherit', env });
  if (run.status !== 0) process.exitCode = 1;
}
