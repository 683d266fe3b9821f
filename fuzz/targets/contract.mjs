/**
 * What every fuzz target asserts besides "no crash": the module under test returns a result or
 * throws one of its typed errors with a plain message, within a time that grows with the input,
 * and (audio) what it reports is consistent with the bytes it was given. Any other outcome is
 * thrown as a finding.
 */
export class ContractViolation extends Error {}

/** Bytes of the input being run (set by within/withinSync). */
let currentInputLength = 0;

/** Milliseconds one input may take: generous, since Jazzer's instrumentation slows code down. */
export function budgetMs(bytes) {
  return 3000 + bytes * 0.2;
}

/**
 * Rethrows `error` unless it is an instance of one of `types` with a non-empty message of
 * bounded length: 2000 characters plus twice the input's length (a message may quote what the
 * user wrote, e.g. a whole --fail-if expression, escaped).
 */
export function expectTyped(error, ...types) {
  if (!types.some((t) => error instanceof t)) throw error;
  const message = error.message;
  if (typeof message !== 'string' || message.length === 0 || message.length > 2000 + 2 * currentInputLength) {
    throw new ContractViolation(`${error.constructor.name} without a usable message: ${JSON.stringify(message)?.slice(0, 200)}`);
  }
}

export function check(condition, what) {
  if (!condition) throw new ContractViolation(what);
}

/** Runs `action` (a result or a typed error) and checks the time it took against the input size. */
export async function within(bytes, action) {
  currentInputLength = bytes;
  const start = performance.now();
  await action();
  const ms = performance.now() - start;
  check(ms <= budgetMs(bytes), `took ${Math.round(ms)} ms for ${bytes} bytes`);
}

export function withinSync(bytes, action) {
  currentInputLength = bytes;
  const start = performance.now();
  action();
  const ms = performance.now() - start;
  check(ms <= budgetMs(bytes), `took ${Math.round(ms)} ms for ${bytes} bytes`);
}

/** UTF-8 text of the input, as the CLI reads files (invalid sequences become U+FFFD). */
export function text(data) {
  return Buffer.from(data).toString('utf8');
}
