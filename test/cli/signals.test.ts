/**
 * watchInterruptions (src/cli/signals.ts): the first SIGINT/SIGTERM asks for a graceful stop, a
 * second one exits at once, and the same signal again within SAME_SIGNAL_MS is the same
 * interruption (a Ctrl-C that reaches a relaunched scorer from the terminal and from its
 * launcher). The real process: test/e2e/interrupt.test.ts.
 */
import { EventEmitter } from 'node:events';
import { SAME_SIGNAL_MS, watchInterruptions } from '../../src/cli/signals.js';

function harness() {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const firsts: NodeJS.Signals[] = [];
  let clock = 1000;
  const interruption = watchInterruptions((s) => firsts.push(s), { signals, exit: (code) => exits.push(code), now: () => clock });
  return { signals, exits, firsts, interruption, advance: (ms: number) => (clock += ms) };
}

test('the first signal aborts the run once and sets the exit code; nothing exits yet', () => {
  const h = harness();
  h.signals.emit('SIGTERM', 'SIGTERM');
  expect(h.firsts).toEqual(['SIGTERM']);
  expect(h.interruption.signal.aborted).toBe(true);
  expect(h.interruption.received()).toBe('SIGTERM');
  expect(h.interruption.exitCode()).toBe(143);
  expect(h.exits).toEqual([]);
});

test('the same signal again at once is the same interruption', () => {
  const h = harness();
  h.signals.emit('SIGINT', 'SIGINT');
  h.advance(SAME_SIGNAL_MS - 1);
  h.signals.emit('SIGINT', 'SIGINT');
  expect(h.firsts).toEqual(['SIGINT']);
  expect(h.exits).toEqual([]);
  expect(h.interruption.exitCode()).toBe(130);
});

test('a second signal later exits at once, with its own code', () => {
  const h = harness();
  h.signals.emit('SIGINT', 'SIGINT');
  h.advance(SAME_SIGNAL_MS);
  h.signals.emit('SIGINT', 'SIGINT');
  expect(h.exits).toEqual([130]);
  const other = harness();
  other.signals.emit('SIGINT', 'SIGINT');
  other.signals.emit('SIGTERM', 'SIGTERM'); // another signal, however soon
  expect(other.exits).toEqual([143]);
});

test('after a signal, dispose keeps listening: a copy is still the same interruption, another signal still exits with its code', () => {
  // A run that stopped at once is writing its output when the launcher's copy of a Ctrl-C comes:
  // with no listener, that copy would kill the process by the signal's default action.
  const h = harness();
  h.signals.emit('SIGINT', 'SIGINT');
  h.advance(100);
  h.interruption.dispose();
  h.advance(SAME_SIGNAL_MS - 150);
  h.signals.emit('SIGINT', 'SIGINT');
  expect(h.exits).toEqual([]);
  h.advance(SAME_SIGNAL_MS);
  h.signals.emit('SIGINT', 'SIGINT');
  expect(h.exits).toEqual([130]);
});

test('a closed stdout stops the run with 141; dispose removes the listeners', () => {
  const h = harness();
  h.interruption.brokenPipe();
  expect(h.interruption.signal.aborted).toBe(true);
  expect(h.interruption.exitCode()).toBe(141);
  h.interruption.dispose();
  expect(h.signals.listenerCount('SIGINT') + h.signals.listenerCount('SIGTERM')).toBe(0);
});
