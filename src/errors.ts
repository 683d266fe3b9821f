/**
 * Error kinds that decide how a failure is reported. Every layer throws these; the CLI maps
 * them to exit codes (see README, "Exit codes") and the pipeline turns per-file ones into
 * `status: error` rows instead of stopping the run.
 */
import { types } from 'node:util';

/** A problem with how the tool was asked to run: bad flag, unreadable checkpoint, no pairs. Exit 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** A checkpoint that cannot be read or does not fit its family. Reported like a usage error. */
export class CheckpointError extends UsageError {
  override readonly name: string = 'CheckpointError';
}

/** One input file could not be used. Costs that file's row, never the run. */
export class InputFileError extends Error {
  override readonly name: string = 'InputFileError';
}

/**
 * Whether `value` is an Error from any realm: errors made by Node itself (fs, streams) are not
 * `instanceof Error` when this code runs in another VM context (a test runner's, a sandbox).
 */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** Best-effort message for anything thrown, without a stack trace. */
export function messageOf(error: unknown): string {
  if (isError(error)) return error.message;
  return String(error);
}
