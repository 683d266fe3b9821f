/**
 * Long loops give the event loop a turn every YIELD_MS of work, so that a signal handler (Ctrl-C,
 * SIGTERM) or a timer runs within a second whatever the loop is doing. `await` on a promise that
 * is already settled does not do this: it only runs the microtask queue, and signal handlers are
 * macrotasks. So a real macrotask (setImmediate) is awaited, but only once per budget: one per
 * call would cost more than most of the loops' steps.
 */

/** Milliseconds of work between two turns of the event loop. */
export const YIELD_MS = 25;

let last = performance.now();

/** Resolves after one macrotask turn: timers, I/O and signal handlers have run meanwhile. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Gives the event loop a turn when YIELD_MS have passed since the last turn any caller gave;
 * otherwise returns at once (no await needed, no allocation). Call it inside long loops as
 * `await pause()` — the check is one clock read.
 */
export function pause(): Promise<void> | undefined {
  const now = performance.now();
  if (now - last < YIELD_MS) return undefined;
  last = now;
  return nextTurn().then(() => {
    last = performance.now();
  });
}
