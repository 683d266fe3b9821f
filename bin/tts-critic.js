#!/usr/bin/env node
// Thin launcher: all behaviour lives in the library (dist/), built by `npm run build`.
// `score` may run in a relaunched process with huge pages (dist/cli/relaunch.js says when and why).
import { fileURLToPath } from 'node:url';
import { hostFacts, relaunchEnvironment, runRelaunched, watchLauncher, RELAUNCHED_ENV } from '../dist/cli/relaunch.js';

const argv = process.argv.slice(2);
const env = relaunchEnvironment(argv, process.env, hostFacts);
const relaunched = env ? await runRelaunched(fileURLToPath(import.meta.url), argv, env) : null;
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
