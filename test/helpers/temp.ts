/** Temp folders for tests: one place that names, makes and removes them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh, empty folder `tts-critic-<label>-XXXXXX` under the OS temp folder. */
export function tempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `tts-critic-${label}-`));
}

/** Removes `dir` and all it holds; does nothing for `undefined` (a setup that failed before making it). */
export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
