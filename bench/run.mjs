// Runs every benchmark in turn (npm run bench builds first). Benchmarks print throughput; they
// are not tests and assert nothing beyond the work succeeding.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const bench of ['corpus.mjs', 'throughput.mjs', 'checkpoint-load.mjs', 'resample.mjs']) {
  console.log(`\n== ${bench}`);
  const run = spawnSync(process.execPath, [path.join(here, bench)], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}
