/**
 * One pair's audio, ready for windowing: both files opened, the constant offset between them
 * found and removed (`--align offset`), their compared stretch at the model rate checked, the
 * whole-file mel_dtw computed, and windows read on demand (with the mel distance of the same
 * stretch at 32 kHz). Every failure is an InputFileError that names the file.
 */
import { alignedOverlap, estimateOffset, type AlignedOverlap, type OffsetEstimate } from '../align/offset.js';
import { melDtwStreamed } from '../align/mel-dtw.js';
import type { SignalSource } from '../align/signal.js';
import { openAudio, type AudioReader } from '../audio/index.js';
import { MEL_MIN_SAMPLES, MEL_SAMPLE_RATE, melL1 } from '../audio/mel.js';
import { InputFileError, messageOf } from '../errors.js';
import { cachingReader } from './cached-reader.js';
import type { PairSpec } from './discover.js';
import type { Window } from './windows.js';

/** `--align`: `offset` finds and removes one constant delay per pair; `none` compares the files as they are. */
export const ALIGN_MODES = ['offset', 'none'] as const;
export type AlignMode = (typeof ALIGN_MODES)[number];

export interface PairAudioLimits {
  /** Model sample rate. */
  readonly sampleRate: number;
  /** Shortest window every sub-discriminator accepts, in model samples. */
  readonly minimumLength: number;
  /** Most seconds of audio a file may decode to (`--max-duration`; default DEFAULT_MAX_DURATION). */
  readonly maxDuration?: number;
}

/**
 * mel_dtw is computed only when the longer file is at most this many times the shorter one, or
 * longer by at most MEL_DTW_MAX_EXTRA_SECONDS: beyond that the files are not two takes of one
 * utterance at different tempos, and the DTW would have to read the whole longer file (hours,
 * for a small hostile file) to say so.
 */
export const MEL_DTW_MAX_RATIO = 2;
export const MEL_DTW_MAX_EXTRA_SECONDS = 2;
/** The offset search reads each file up to the other's length plus `--max-offset` plus this (seconds). */
const SEARCH_MARGIN_SECONDS = 1;

/** One file as the report describes it. */
export interface AudioFacts {
  readonly seconds: number;
  readonly format: string;
  readonly sampleRate: number;
  /** What the decoder read past or around (a cut-short last frame, junk before the audio, ...). */
  readonly warnings: readonly string[];
}

export interface PairFiles {
  readonly ref?: AudioFacts | null;
  readonly syn?: AudioFacts | null;
}

function audioFacts(reader: AudioReader): AudioFacts {
  const { frames, sampleRate, format, warnings } = reader.info;
  return { seconds: frames / sampleRate, format, sampleRate, warnings };
}

export interface PairAlignOptions {
  readonly align: AlignMode;
  /** Largest |offset| `--align offset` searches, in model samples. */
  readonly maxOffset: number;
}

export interface WindowAudio {
  readonly ref: Float32Array | null;
  readonly syn: Float32Array;
  /** mel L1 of this window (NaN without a reference). */
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

/** `reader` at `rate` as a SignalSource whose read errors name `file`. */
function sourceAt(reader: AudioReader, file: string, rate: number): SignalSource {
  return { length: reader.lengthAt(rate), read: (start, length) => about(file, () => reader.read(rate, start, length)) };
}

/** What was found about a pair's timing. */
export interface PairTiming {
  /** The offset removed, in model samples (0 unless `--align offset` found one). */
  readonly offset: number;
  /** The offset search's result (null with `--align none` or without a reference). */
  readonly estimate: OffsetEstimate | null;
  /** A clear offset whose overlap would be too short to score, so it was not applied. */
  readonly unusable: boolean;
  /** Model samples of each file from its compared stretch's start to its end. */
  readonly refRest: number;
  readonly synRest: number;
  /** Why mel_dtw was not computed (null when it was). */
  readonly melDtwProblem: string | null;
}

export class PairAudio {
  private constructor(
    private readonly spec: PairSpec,
    private readonly syn: AudioReader,
    private readonly ref: AudioReader | null,
    private readonly limits: PairAudioLimits,
    /** Compared stretches at the model rate. */
    private readonly span: AlignedOverlap,
    /** The same at 32 kHz, for the mel distance. */
    private readonly melSpan: AlignedOverlap,
    /** Null without a reference. */
    readonly timing: PairTiming | null,
    /** mel_dtw of the whole files (null without a reference). */
    readonly melDtw: number | null,
  ) {}

  /** Length of the compared stretch in model samples. */
  get length(): number {
    return this.span.length;
  }

  /**
   * Opens `spec.syn` (and `spec.ref` unless reference-free). `onOpened` receives what each file
   * is (duration, format, own rate) as soon as both are open, so it can be reported even if a
   * later check fails.
   */
  static async open(
    spec: PairSpec,
    settings: PairAudioLimits & PairAlignOptions,
    onOpened: (files: PairFiles) => void,
  ): Promise<PairAudio> {
    // Short files are decoded once per rate and then read from memory (cached-reader.ts).
    const limits = settings.maxDuration !== undefined ? { maxDuration: settings.maxDuration } : {};
    const syn = cachingReader(await about(spec.syn!, () => openAudio(spec.synBytes ?? spec.syn!, limits)));
    let ref: AudioReader | null = null;
    try {
      ref = spec.ref ? cachingReader(await about(spec.ref, () => openAudio(spec.refBytes ?? spec.ref!, limits))) : null;
    } catch (error) {
      await syn.close().catch(() => undefined);
      throw error;
    }
    onOpened({ ref: ref ? audioFacts(ref) : null, syn: audioFacts(syn) });
    try {
      return ref ? await PairAudio.prepare(spec, syn, ref, settings) : PairAudio.prepareAlone(spec, syn, settings);
    } catch (error) {
      await Promise.all([syn, ref].map((r) => r?.close().catch(() => undefined)));
      throw error;
    }
  }

  private static prepareAlone(spec: PairSpec, syn: AudioReader, limits: PairAudioLimits): PairAudio {
    const length = syn.lengthAt(limits.sampleRate);
    checkDiscriminatorLength(spec.syn!, length, limits, 'it');
    const span = { refStart: 0, synStart: 0, length };
    return new PairAudio(spec, syn, null, limits, span, { refStart: 0, synStart: 0, length: 0 }, null, null);
  }

  private static async prepare(spec: PairSpec, syn: AudioReader, ref: AudioReader, settings: PairAudioLimits & PairAlignOptions): Promise<PairAudio> {
    const rate = settings.sampleRate;
    const refLength = ref.lengthAt(rate);
    const synLength = syn.lengthAt(rate);
    const ref32 = ref.lengthAt(MEL_SAMPLE_RATE);
    const syn32 = syn.lengthAt(MEL_SAMPLE_RATE);
    const shorter = refLength < synLength ? spec.ref! : spec.syn!;
    checkDiscriminatorLength(shorter, Math.min(refLength, synLength), settings, 'the pair (trimmed to the shorter file)');
    checkMelLength(shorter, Math.min(ref32, syn32));

    let estimate: OffsetEstimate | null = null;
    let offset = 0;
    let unusable = false;
    if (settings.align === 'offset') {
      // No lag within ±maxOffset pairs a sample of one file with one of the other beyond the
      // other's length plus maxOffset: the search reads no further (a 2 s file paired with a
      // 20-minute one costs 2 s of decoding, not 20 minutes).
      const reach = settings.maxOffset + SEARCH_MARGIN_SECONDS * rate;
      const refSource = prefix(sourceAt(ref, spec.ref!, rate), synLength + reach);
      const synSource = prefix(sourceAt(syn, spec.syn!, rate), refLength + reach);
      estimate = await estimateOffset(refSource, synSource, { sampleRate: rate, maxOffset: settings.maxOffset });
      const found = estimate.samples ?? 0;
      // An offset that leaves too little overlap to score is reported but not applied.
      const overlap = alignedOverlap(refLength, synLength, found).length;
      const overlap32 = alignedOverlap(ref32, syn32, Math.round((found * MEL_SAMPLE_RATE) / rate)).length;
      if (overlap >= settings.minimumLength && overlap32 >= MEL_MIN_SAMPLES) offset = found;
      else unusable = true;
    }
    const span = alignedOverlap(refLength, synLength, offset);
    const melSpan = alignedOverlap(ref32, syn32, Math.round((offset * MEL_SAMPLE_RATE) / rate));
    // Reads every sample of both files, so NaN/Inf anywhere (also in a part trimmed off) fails the
    // pair; unless their durations differ too much for a tempo change (see MEL_DTW_MAX_RATIO).
    const melDtwProblem = melDtwSkipReason(ref32, syn32);
    const melDtw =
      melDtwProblem === null
        ? await melDtwStreamed(
            (start, length) => about(spec.ref!, () => ref.read(MEL_SAMPLE_RATE, start, length)),
            ref32,
            (start, length) => about(spec.syn!, () => syn.read(MEL_SAMPLE_RATE, start, length)),
            syn32,
          )
        : null;
    const timing = { offset, estimate, unusable, refRest: refLength - span.refStart, synRest: synLength - span.synStart, melDtwProblem };
    return new PairAudio(spec, syn, ref, settings, span, melSpan, timing, melDtw);
  }

  /** The window's samples at the model rate (`w` counts from the compared stretch's start), and its mel distance. */
  async read(w: Window): Promise<WindowAudio> {
    const { sampleRate } = this.limits;
    const syn = await about(this.spec.syn!, () => this.syn.read(sampleRate, this.span.synStart + w.start, w.length));
    if (!this.ref) return { ref: null, syn, melL1: Number.NaN };
    const ref = await about(this.spec.ref!, () => this.ref!.read(sampleRate, this.span.refStart + w.start, w.length));
    return { ref, syn, melL1: sampleRate === MEL_SAMPLE_RATE ? melL1(ref, syn) : await this.melAt32k(w) };
  }

  /**
   * The same stretch of time read from the sources at 32 kHz: not re-resampled from the model
   * rate, which would lose the band above the model's Nyquist.
   */
  private async melAt32k(w: Window): Promise<number> {
    const scale = MEL_SAMPLE_RATE / this.limits.sampleRate;
    const { refStart, synStart, length: melLength } = this.melSpan;
    const start = Math.min(Math.round(w.start * scale), Math.max(0, melLength - MEL_MIN_SAMPLES));
    const length = Math.max(MEL_MIN_SAMPLES, Math.min(Math.round(w.length * scale), melLength - start));
    const [r, s] = await Promise.all([
      about(this.spec.ref!, () => this.ref!.read(MEL_SAMPLE_RATE, refStart + start, length)),
      about(this.spec.syn!, () => this.syn.read(MEL_SAMPLE_RATE, synStart + start, length)),
    ]);
    return melL1(r, s);
  }

  async close(): Promise<void> {
    await Promise.all([this.syn, this.ref].map((r) => r?.close().catch(() => undefined)));
  }
}

/** The first `length` samples of `source` (all of it when it is shorter). */
function prefix(source: SignalSource, length: number): SignalSource {
  return length >= source.length ? source : { length, read: (start, n) => source.read(start, n) };
}

/** Why mel_dtw is not computed for files of these lengths at 32 kHz, or null. */
export function melDtwSkipReason(ref32: number, syn32: number): string | null {
  const shorter = Math.min(ref32, syn32);
  const longer = Math.max(ref32, syn32);
  if (longer <= MEL_DTW_MAX_RATIO * shorter || longer - shorter <= MEL_DTW_MAX_EXTRA_SECONDS * MEL_SAMPLE_RATE) return null;
  return (
    `mel_dtw not computed: the files last ${formatSeconds(ref32 / MEL_SAMPLE_RATE)} (ref) and ${formatSeconds(syn32 / MEL_SAMPLE_RATE)} (syn), ` +
    `more than ${MEL_DTW_MAX_RATIO} times apart, which no tempo change explains`
  );
}

/** `file` decides the length (the shorter of a pair): it must fit the discriminators. */
function checkDiscriminatorLength(file: string, length: number, limits: PairAudioLimits, what: string): void {
  const { sampleRate, minimumLength } = limits;
  if (length === 0) throw new InputFileError(`${file}: no audio samples`);
  if (length < minimumLength) {
    throw new InputFileError(
      `${file}: too short: ${what} has ${length} samples (${formatSeconds(length / sampleRate)}) at ${sampleRate} Hz; ` +
        `the discriminators need at least ${minimumLength} (${formatSeconds(minimumLength / sampleRate)})`,
    );
  }
}

function checkMelLength(file: string, length: number): void {
  if (length < MEL_MIN_SAMPLES) {
    throw new InputFileError(`${file}: too short for the mel distance: ${length} samples at 32 kHz, at least ${MEL_MIN_SAMPLES} needed`);
  }
}
