/**
 * The `warning` column: reasons a pair's scores may mislead. Two kinds, joined by `; `:
 * * timing: the frame-by-frame comparison (fm, mel_l1) may measure timing rather than quality;
 * * files: a decoder read past damage (a cut-short last frame, junk before the audio, sizes
 *   that disagree), so the pair was scored on what could be read.
 * Reported, never fatal: the pair is still scored.
 */
import { formatSeconds, type PairFiles } from './pair-audio.js';

// The timing warnings' fixed wording, which hasTimingWarning recognises.
const DURATIONS_DIFFER = 'durations differ by';
const SCORED_WITHOUT_SHIFT = 'scored without a shift';

/** The decoders' warnings about either file, each prefixed with its side (`syn file: ...`). */
export function fileWarnings(files: PairFiles): string[] {
  const side = (name: string, warnings: readonly string[] | undefined) => (warnings ?? []).map((w) => `${name} file: ${w}`);
  return [...side('ref', files.ref?.warnings), ...side('syn', files.syn?.warnings)];
}

/** Whether a `warning` cell holds a timing warning (not only file warnings). */
export function hasTimingWarning(warning: string): boolean {
  return warning.includes(DURATIONS_DIFFER) || warning.includes(SCORED_WITHOUT_SHIFT);
}

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
  if (!offsetMs) return `${DURATIONS_DIFFER} ${percent} (${lengths})`;
  return `${DURATIONS_DIFFER} ${percent} once the offset of ${formatOffset(offsetMs)} is removed (${lengths})`;
}

/** An offset in ms with its sign: `+34.1 ms`, `-0.03 ms`. */
export function formatOffset(ms: number): string {
  const digits = Math.abs(ms) < 1 ? 2 : 1;
  return `${ms > 0 ? '+' : ms < 0 ? '-' : ''}${Math.abs(ms).toFixed(digits)} ms`;
}

/** The warning for a pair `--align offset` could not align. */
export function alignmentWarning(problem: string): string {
  return `${problem}; ${SCORED_WITHOUT_SHIFT}`;
}
