/** Validation of `--sample-rate`, kept apart so the scorer can check it without loading the checkpoint reader. */
import { UsageError } from '../errors.js';

/** Rates a discriminator can have been trained at; anything else in a file is not a rate. */
export function isPlausibleRate(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 4000 && value <= 384000;
}

/** What `--sample-rate` accepts: the rates discriminators are trained at. */
export function checkSampleRate(rate: number): void {
  if (!isPlausibleRate(rate)) throw new UsageError(`--sample-rate must be a whole number of Hz from 4000 to 384000, got ${rate}`);
}
