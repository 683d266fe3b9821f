/**
 * SIGINT/SIGTERM handling: the first signal asks the run to stop after the batch in flight, so
 * every finished record is written and the output is closed properly; a second signal exits
 * at once (the atomic output is then simply absent).
 */
import { EXIT } from './exit-codes.js';

export interface Interruption {
  readonly signal: AbortSignal;
  /** Stops the run because the reader of stdout went away (no more output can be delivered). */
  brokenPipe(): void;
  /** The signal received, if any. */
  received(): NodeJS.Signals | null;
  exitCode(): number | null;
  dispose(): void;
}

export function watchInterruptions(onFirst: (signal: NodeJS.Signals) => void): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  let pipeClosed = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
    }
    received = signal;
    onFirst(signal);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => received,
    brokenPipe() {
      pipeClosed = true;
      controller.abort();
    },
    exitCode: () => (received !== null ? (received === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM) : pipeClosed ? EXIT.BROKEN_PIPE : null),
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
