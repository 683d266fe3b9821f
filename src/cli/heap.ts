/**
 * How much V8 lets the JavaScript heap grow between full collections.
 *
 * V8 sets the next full collection at up to four times the heap that was live after the last
 * one. The long passes of `merge`, `report`, `--baseline` and `--resume` hold a live set that
 * grows with the corpus (a compact baseline index, the list of pairs) and churn through
 * gigabytes of short-lived records, so with the default a 1M-file baseline sat at 600 MB of
 * mostly dead heap. A growth of 1.3x keeps the peak near what is live, for a few more full
 * collections (each costs time in proportion to the live set, which is small next to the
 * parsing work). The flag is read at every collection, so setting it once the process runs
 * works; a user's own `node --heap-growing-percent=N` stands (NODE_OPTIONS cannot carry it).
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

/** Sets the growth unless the user set one; true when it was set here. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
