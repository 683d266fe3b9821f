/** Exit codes (../shared/design.md; README, "Exit codes"). Tested by the end-to-end suite. */
export const EXIT = Object.freeze({
  /** Everything scored and every gate passed. */
  OK: 0,
  /** A --fail-if gate failed or a file regressed beyond --max-regression. */
  GATE_FAILED: 1,
  /** Usage or configuration error: bad flag, unreadable checkpoint, no pairs. */
  USAGE: 2,
  /** Scoring finished but some files failed or had no partner. */
  FILES_FAILED: 3,
  /** Interrupted by SIGINT (128 + 2) or SIGTERM (128 + 15), after flushing what was done. */
  SIGINT: 130,
  SIGTERM: 143,
  /** Whoever read our stdout closed it (`... | head`): stop scoring, as SIGPIPE would (128 + 13). */
  BROKEN_PIPE: 141,
});
