/**
 * SIGINT/SIGTERM handling: the first signal asks the run to stop after the batch in flight, so
 * every finished record is written and the output is closed properly; a second signal exits
 * at once (the atomic output is then simply absent).
 *
 * The same signal again within SAME_SIGNAL_MS of the first is the same interruption: a Ctrl-C
 * reaches the whole terminal process group, so a relaunched scorer (relaunch.ts) gets it once
 * from the terminal and once more from its launcher, which passes signals on for those that
 * are sent to it alone (`kill`, a supervisor). Once a signal was received, the listeners stay
 * after `dispose`: a run that stops quickly is already writing its output when the launcher's
 * copy arrives, and with no listener left that copy would kill it by the signal's default
 * action (the process is about to exit anyway).
 */
import { EXIT } from './exit-codes.js';

export const SAME_SIGNAL_MS = 300;

export interface Interruption {
  readonly signal: AbortSignal;
  /** Stops the run because the reader of stdout went away (no more output can be delivered). */
  brokenPipe(): void;
  /** The signal received, if any. */
  received(): NodeJS.Signals | null;
  exitCode(): number | null;
  dispose(): void;
}

/** Where signals arrive and what a second one does; tests give their own. */
export interface SignalHost {
  readonly signals: NodeJS.EventEmitter;
  readonly exit: (code: number) => void;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
}

const PROCESS_HOST: SignalHost = { signals: process, exit: (code) => process.exit(code), now: () => performance.now() };

export function watchInterruptions(onFirst: (signal: NodeJS.Signals) => void, host: SignalHost = PROCESS_HOST): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  let receivedAt = 0;
  let pipeClosed = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      if (signal === received && host.now() - receivedAt < SAME_SIGNAL_MS) return;
      host.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
      return;
    }
    received = signal;
    receivedAt = host.now();
    onFirst(signal);
    controller.abort();
  };
  host.signals.on('SIGINT', handler);
  host.signals.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => received,
    brokenPipe() {
      pipeClosed = true;
      controller.abort();
    },
    exitCode: () => (received !== null ? (received === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM) : pipeClosed ? EXIT.BROKEN_PIPE : null),
    dispose() {
      if (received) return; // see the module comment
      host.signals.off('SIGINT', handler);
      host.signals.off('SIGTERM', handler);
    },
  };
}
