/**
 * One pair's audio, ready for windowing: both files opened, their lengths at the model rate
 * checked and trimmed to the shorter, and windows read on demand (with the mel distance of the
 * same stretch at 32 kHz). Every failure is an InputFileError that names the file.
 */
import { openAudio, type AudioReader } from '../audio/index.js';
import { MEL_MIN_SAMPLES, MEL_SAMPLE_RATE, melL1 } from '../audio/mel.js';
import { InputFileError, messageOf } from '../errors.js';
import type { PairSpec } from './discover.js';
import type { Window } from './windows.js';

export interface PairAudioLimits {
  /** Model sample rate. */
  readonly sampleRate: number;
  /** Shortest window every sub-discriminator accepts, in model samples. */
  readonly minimumLength: number;
}

/** One file as the report describes it. */
export interface AudioFacts {
  readonly seconds: number;
  readonly format: string;
  readonly sampleRate: number;
}

export interface PairFiles {
  readonly ref?: AudioFacts | null;
  readonly syn?: AudioFacts | null;
}

function audioFacts(reader: AudioReader): AudioFacts {
  const { frames, sampleRate, format } = reader.info;
  return { seconds: frames / sampleRate, format, sampleRate };
}

export interface WindowAudio {
  readonly ref: Float32Array | null;
  readonly syn: Float32Array;
  /** mel L1 of the window (NaN without a reference). */
  readonly melL1: number;
}

/** Runs `action` and turns any failure into an InputFileError naming `file`. */
async function about<T>(file: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new InputFileError(`${file}: ${messageOf(error)}`);
  }
}

export function formatSeconds(s: number): string {
  // Below 10 ms whole milliseconds would print "0 ms" for the handful of samples that matter.
  if (s < 0.01) return `${(s * 1000).toFixed(2)} ms`;
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

const TAIL_CHUNK_FRAMES = 1 << 20;

/** Decodes what lies beyond `seconds` at the file's own rate: the reader rejects NaN/Inf samples. */
async function checkTail(reader: AudioReader, seconds: number): Promise<void> {
  const rate = reader.info.sampleRate;
  const end = reader.lengthAt(rate);
  for (let start = Math.floor(seconds * rate); start < end; start += TAIL_CHUNK_FRAMES) {
    await reader.read(rate, start, Math.min(TAIL_CHUNK_FRAMES, end - start));
  }
}

export class PairAudio {
  private constructor(
    private readonly spec: PairSpec,
    private readonly syn: AudioReader,
    private readonly ref: AudioReader | null,
    private readonly limits: PairAudioLimits,
    /** Trimmed length in model samples. */
    readonly length: number,
    /** Trimmed length at 32 kHz, for the mel distance. */
    private readonly melLength: number,
  ) {}

  get refSeconds(): number | null {
    return this.ref ? this.ref.info.frames / this.ref.info.sampleRate : null;
  }

  get synSeconds(): number {
    return this.syn.info.frames / this.syn.info.sampleRate;
  }

  /** What each file is, for the report. */
  get files(): PairFiles {
    return { ref: this.ref ? audioFacts(this.ref) : null, syn: audioFacts(this.syn) };
  }

  /**
   * Opens `spec.syn` (and `spec.ref` unless reference-free). `onOpened` receives the pair as
   * soon as both files are open, so durations can be reported even if a later check fails.
   */
  static async open(spec: PairSpec, limits: PairAudioLimits, onOpened: (pair: PairAudio) => void): Promise<PairAudio> {
    const syn = await about(spec.syn!, () => openAudio(spec.syn!));
    let ref: AudioReader | null = null;
    try {
      ref = spec.ref ? await about(spec.ref, () => openAudio(spec.ref!)) : null;
    } catch (error) {
      await syn.close().catch(() => undefined);
      throw error;
    }
    const synLength = syn.lengthAt(limits.sampleRate);
    const refLength = ref ? ref.lengthAt(limits.sampleRate) : Infinity;
    const length = Math.min(synLength, refLength);
    const melLength = ref ? Math.min(syn.lengthAt(MEL_SAMPLE_RATE), ref.lengthAt(MEL_SAMPLE_RATE)) : 0;
    const pair = new PairAudio(spec, syn, ref, limits, length, melLength);
    onOpened(pair);
    try {
      pair.checkLength(refLength < synLength ? spec.ref! : spec.syn!);
      // Trimming leaves the longer file's tail unread; NaN/Inf there is still a broken file.
      await about(spec.syn!, () => checkTail(syn, length / limits.sampleRate));
      if (ref) await about(spec.ref!, () => checkTail(ref, length / limits.sampleRate));
    } catch (error) {
      await pair.close();
      throw error;
    }
    return pair;
  }

  /** `file` is the shorter file of the pair: it decides the trimmed length. */
  private checkLength(file: string): void {
    const { sampleRate, minimumLength } = this.limits;
    if (this.length === 0) throw new InputFileError(`${file}: no audio samples`);
    if (this.length < minimumLength) {
      const what = this.ref ? 'the pair (trimmed to the shorter file)' : 'it';
      throw new InputFileError(
        `${file}: too short: ${what} has ${this.length} samples (${formatSeconds(this.length / sampleRate)}) at ${sampleRate} Hz; ` +
          `the discriminators need at least ${minimumLength} (${formatSeconds(minimumLength / sampleRate)})`,
      );
    }
    if (this.ref && this.melLength < MEL_MIN_SAMPLES) {
      throw new InputFileError(`${file}: too short for the mel distance: ${this.melLength} samples at 32 kHz, at least ${MEL_MIN_SAMPLES} needed`);
    }
  }

  /** The window's samples at the model rate, and its mel distance. */
  async read(w: Window): Promise<WindowAudio> {
    const { sampleRate } = this.limits;
    const syn = await about(this.spec.syn!, () => this.syn.read(sampleRate, w.start, w.length));
    if (!this.ref) return { ref: null, syn, melL1: Number.NaN };
    const ref = await about(this.spec.ref!, () => this.ref!.read(sampleRate, w.start, w.length));
    return { ref, syn, melL1: sampleRate === MEL_SAMPLE_RATE ? melL1(ref, syn) : await this.melAt32k(w) };
  }

  /**
   * The same stretch of time read from the sources at 32 kHz: not re-resampled from the model
   * rate, which would lose the band above the model's Nyquist.
   */
  private async melAt32k(w: Window): Promise<number> {
    const scale = MEL_SAMPLE_RATE / this.limits.sampleRate;
    const start = Math.min(Math.round(w.start * scale), Math.max(0, this.melLength - MEL_MIN_SAMPLES));
    const length = Math.max(MEL_MIN_SAMPLES, Math.min(Math.round(w.length * scale), this.melLength - start));
    const [r, s] = await Promise.all([
      about(this.spec.ref!, () => this.ref!.read(MEL_SAMPLE_RATE, start, length)),
      about(this.spec.syn!, () => this.syn.read(MEL_SAMPLE_RATE, start, length)),
    ]);
    return melL1(r, s);
  }

  async close(): Promise<void> {
    await Promise.all([this.syn, this.ref].map((r) => r?.close().catch(() => undefined)));
  }
}
