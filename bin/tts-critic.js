#!/usr/bin/env node
// Thin launcher: all behaviour lives in the library (dist/), built by `npm run build`.
// `score`, `merge` and `report` run in a relaunched process with settings only a start can
// take: huge pages, a smaller young generation (dist/cli/relaunch.js says when and why).
import { fileURLToPath } from 'node:url';
import { hostFacts, relaunchPlan, runRelaunched, watchLauncher, RELAUNCHED_ENV } from '../dist/cli/relaunch.js';

const argv = process.argv.slice(2);
const plan = relaunchPlan(argv, process.env, hostFacts);
const relaunched = plan ? await runRelaunched(fileURLToPath(import.meta.url), argv, plan) : null;
if (relaunched && 'signal' in relaunched) {
  process.kill(process.pid, relaunched.signal);
} else if (relaunched) {
  process.exitCode = relaunched.code;
} else {
  if (process.env[RELAUNCHED_ENV]) watchLauncher(Number(process.env[RELAUNCHED_ENV]));
  // Keeps the heap near what is live on million-row passes (dist/cli/heap.js says why).
  (await import('../dist/cli/heap.js')).limitHeapGrowth();
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(argv);
}
