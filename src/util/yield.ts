/**
 * Long loops give the event loop a turn every YIELD_MS of work, so that a signal handler (Ctrl-C,
 * SIGTERM) or a timer runs within a second whatever the loop is doing. `await` on a promise that
 * is already settled does not do this: it only runs the microtask queue, and signal handlers are
 * macrotasks. So a real macrotask (setImmediate) is awaited, but only once per budget: one per
 * call would cost more than most of the loops' steps.
 */

import { AsyncLocalStorage } from 'node:async_hooks';

/** Milliseconds of work between two turns of the event loop. */
export const YIELD_MS = 25;

let last = performance.now();

/** Resolves after one macrotask turn: timers, I/O and signal handlers have run meanwhile. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Thrown by pause() inside `interruptible(signal, ...)` once `signal` is aborted. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

/** The abort signal of the work running in this async context (see interruptible). */
const scope = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` so that every pause() inside it (decoding, resampling, alignment: any depth of
 * calls and awaits) throws InterruptedError once `signal` is aborted: a Ctrl-C then stops a
 * long pair within one YIELD_MS step instead of when the pair is done.
 */
export function interruptible<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  return signal ? scope.run(signal, work) : work();
}

/**
 * Gives the event loop a turn when YIELD_MS have passed since the last turn any caller gave;
 * otherwise returns at once (no await needed, no allocation). Call it inside long loops as
 * `await pause()` — the check is one clock read. After the turn it throws InterruptedError if
 * the surrounding `interruptible` signal was aborted meanwhile.
 */
export function pause(): Promise<void> | undefined {
  const now = performance.now();
  if (now - last < YIELD_MS) return undefined;
  last = now;
  return nextTurn().then(() => {
    last = performance.now();
    if (scope.getStore()?.aborted) throw new InterruptedError();
  });
}
