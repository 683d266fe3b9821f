/**
 * The `warning` column: reasons a pair's frame-by-frame comparison (fm, mel_l1) may measure
 * timing rather than quality. Reported, never fatal: the pair is still scored.
 */
import { formatSeconds } from './pair-audio.js';

/** Durations (of the parts compared) may differ by this fraction of the longer before a warning. */
export const DURATION_TOLERANCE = 0.05;

/**
 * A warning when the compared parts of the two files differ in duration by more than
 * DURATION_TOLERANCE: after trimming to the shorter, the rest of the longer one is not compared,
 * and a different length usually means different timing throughout (a TTS output's own pace).
 * Lengths are in samples at `rate`; `offsetMs` is the offset removed first (null or 0: none).
 */
export function durationWarning(refRest: number, synRest: number, rate: number, offsetMs: number | null): string | null {
  const longer = Math.max(refRest, synRest);
  if (longer === 0) return null;
  const difference = Math.abs(refRest - synRest) / longer;
  if (difference <= DURATION_TOLERANCE) return null;
  const percent = `${(100 * difference).toFixed(difference < 0.1 ? 1 : 0)}%`;
  const lengths = `ref ${formatSeconds(refRest / rate)}, syn ${formatSeconds(synRest / rate)}`;
  if (!offsetMs) return `durations differ by ${percent} (${lengths})`;
  return `durations differ by ${percent} once the offset of ${formatOffset(offsetMs)} is removed (${lengths})`;
}

/** An offset in ms with its sign: `+34.1 ms`, `-0.03 ms`. */
export function formatOffset(ms: number): string {
  const digits = Math.abs(ms) < 1 ? 2 : 1;
  return `${ms > 0 ? '+' : ms < 0 ? '-' : ''}${Math.abs(ms).toFixed(digits)} ms`;
}

/** The warning for a pair `--align offset` could not align. */
export function alignmentWarning(problem: string): string {
  return `${problem}; scored without a shift`;
}
