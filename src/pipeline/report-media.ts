/**
 * The audio side of the HTML report's worst files: a link to each file relative to the
 * report's folder, and its log-mel spectrogram (the GPT-SoVITS mel that `mel_l1` uses) as a
 * small PNG. Ref and syn of a pair share one colour scale so they can be compared by eye.
 * A file that has gone or cannot be read gets a message instead; it never fails the report.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { logMelSpectrogram, MEL_MIN_SAMPLES, MEL_SAMPLE_RATE, openAudio, type LogMel } from '../audio/index.js';
import { messageOf } from '../errors.js';
import type { AudioMedia, FileMedia } from '../report/formatter.js';
import { spectrogramImage, spectrogramMax } from '../report/spectrogram-image.js';
import type { WorstFile } from '../report/summary.js';

export interface MediaOptions {
  /** Folder the report is written to: links are relative to it. */
  readonly reportDir: string;
  /** Folder the paths in the report are relative to (default: the current folder). */
  readonly cwd?: string;
  /** Spectrograms show at most this many seconds from the start (default 10). */
  readonly maxSeconds?: number;
}

/**
 * `target` as a relative URL from `fromDir`: each segment percent-encoded (spaces, `#`, `?`,
 * `%` in names), `/` as separator on every platform. A file on another Windows drive has no
 * relative path and gets an absolute file: URL.
 */
export function relativeHref(fromDir: string, target: string): string {
  const relative = path.relative(fromDir, target);
  if (path.isAbsolute(relative)) return pathToFileURL(target).href;
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

interface Loaded {
  readonly href: string | null;
  readonly mel: LogMel | null;
  readonly problem: string | null;
}

async function load(file: string, options: MediaOptions): Promise<Loaded> {
  const absolute = path.resolve(options.cwd ?? process.cwd(), file);
  try {
    if (!(await stat(absolute)).isFile()) return { href: null, mel: null, problem: `${file} is not a file` };
  } catch {
    return { href: null, mel: null, problem: `${file} not found (paths in the report are relative to the folder it was scored in)` };
  }
  const href = relativeHref(options.reportDir, absolute);
  let reader;
  try {
    reader = await openAudio(absolute);
  } catch (error) {
    return { href, mel: null, problem: `no spectrogram: ${messageOf(error)}` };
  }
  try {
    const length = Math.min(reader.lengthAt(MEL_SAMPLE_RATE), Math.round((options.maxSeconds ?? 10) * MEL_SAMPLE_RATE));
    if (length < MEL_MIN_SAMPLES) return { href, mel: null, problem: 'too short for a spectrogram' };
    const mel = logMelSpectrogram(await reader.read(MEL_SAMPLE_RATE, 0, length));
    return { href, mel, problem: null };
  } catch (error) {
    return { href, mel: null, problem: `no spectrogram: ${messageOf(error)}` };
  } finally {
    await reader.close().catch(() => undefined);
  }
}

function media(loaded: Loaded | null, max: number): AudioMedia | null {
  if (!loaded) return null;
  return { href: loaded.href, spectrogram: loaded.mel ? spectrogramImage(loaded.mel, { max }) : null, problem: loaded.problem };
}

/** Links and spectrograms for `files`, keyed by row key (syn path, or ref for an unpaired ref). */
export async function worstFileMedia(files: readonly WorstFile[], options: MediaOptions): Promise<Map<string, FileMedia>> {
  const result = new Map<string, FileMedia>();
  for (const file of files) {
    const ref = file.ref !== '' ? await load(file.ref, options) : null;
    const syn = file.syn !== '' ? await load(file.syn, options) : null;
    const max = Math.max(ref?.mel ? spectrogramMax(ref.mel) : -Infinity, syn?.mel ? spectrogramMax(syn.mel) : -Infinity);
    result.set(file.syn || file.ref, { ref: media(ref, max), syn: media(syn, max) });
  }
  return result;
}
