/**
 * Cutting a signal into fixed-length windows (../shared/design.md, "Windows and batching"):
 * windows start at 0, L, 2L, ...; when the length is not a multiple of L the last window is
 * right-aligned to the end, overlapping its predecessor; a signal shorter than L is one window
 * of its own length. A file's score is the plain mean over its windows.
 */

export interface Window {
  readonly start: number;
  readonly length: number;
}

/** `segment` = window length in samples; 0 means one window over the whole signal. */
export function planWindows(length: number, segment: number): Window[] {
  if (length <= 0) return [];
  if (segment <= 0 || length <= segment) return [{ start: 0, length }];
  const windows: Window[] = [];
  const full = Math.floor(length / segment);
  for (let i = 0; i < full; i++) windows.push({ start: i * segment, length: segment });
  if (length % segment !== 0) windows.push({ start: length - segment, length: segment });
  return windows;
}
