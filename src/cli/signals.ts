/**
 * SIGINT/SIGTERM handling: the first signal asks the run to stop after the batch in flight, so
 * every finished record is written and the output is closed properly; a second signal exits
 * at once (the atomic output is then simply absent).
 */
import { EXIT } from './exit-codes.js';

export interface Interruption {
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | null;
  exitCode(): number | null;
  dispose(): void;
}

export function watchInterruptions(onFirst: (signal: NodeJS.Signals) => void): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
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
    exitCode: () => (received === null ? null : received === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM),
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
