/**
 * The scoring loop: open each pair, cut it into windows at the model rate, queue windows of
 * equal length into batches, run the engine, fold window scores into per-pair means and
 * yield each pair's result as soon as its last window is scored.
 *
 * Memory stays bounded whatever the file lengths: windows are read one at a time, and queued
 * audio never exceeds the batch budget (plus one window), so a two-hour file costs no more
 * than a short one.
 */
import { openAudio, type AudioReader } from '../audio/index.js';
import { MEL_MIN_SAMPLES, MEL_SAMPLE_RATE, melL1 } from '../audio/mel.js';
import type { DiscriminatorEngine, WindowScores } from '../engine/engine.js';
import { InputFileError, messageOf } from '../errors.js';
import type { PairResult } from '../scores.js';
import { PairAccumulator } from './aggregate.js';
import type { PairSpec } from './discover.js';
import { planWindows, type Window } from './windows.js';


export interface ScoringContext {
  readonly engine: DiscriminatorEngine;
  readonly subNames: readonly string[];
  /** Model sample rate. */
  readonly sampleRate: number;
  /** Window length in model samples; 0 = whole files. */
  readonly segment: number;
  /** Shortest window every sub-discriminator accepts. */
  readonly minimumLength: number;
  /** Most windows per engine call. */
  readonly batchSize: number;
  /** Most queued samples (per side) before batches are run regardless of fill. */
  readonly batchSamples: number;
}

export interface ScoreLoopOptions {
  readonly signal?: AbortSignal;
  /** Called after every engine call with the windows and audio seconds it scored. */
  readonly onBatch?: (info: { windows: number; audioSeconds: number }) => void;
}

interface PairState {
  readonly spec: PairSpec;
  readonly accumulator: PairAccumulator;
  readonly refSeconds: number | null;
  readonly synSeconds: number | null;
  windowsTotal: number;
  windowsQueued: number;
  failed: boolean;
  done: boolean;
}

interface QueuedWindow {
  readonly pair: PairState;
  readonly ref: Float32Array | null;
  readonly syn: Float32Array;
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

function seconds(reader: AudioReader): number {
  return reader.info.frames / reader.info.sampleRate;
}

function formatSeconds(s: number): string {
  // Below 10 ms whole milliseconds would print "0 ms" for the handful of samples that matter.
  if (s < 0.01) return `${(s * 1000).toFixed(2)} ms`;
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

export function errorResult(spec: PairSpec, sampleRate: number, status: 'error' | 'unpaired', error: string, durations: { ref?: number | null; syn?: number | null } = {}): PairResult {
  return {
    key: spec.key,
    ref: spec.ref ?? '',
    syn: spec.syn ?? '',
    status,
    error,
    sampleRate,
    refSeconds: durations.ref ?? null,
    synSeconds: durations.syn ?? null,
    windows: 0,
    totals: null,
    subs: [],
  };
}

/** Why a spec cannot be scored before any file is opened, or null. */
function upfrontProblem(spec: PairSpec, pairMode: boolean): { status: 'error' | 'unpaired'; message: string } | null {
  if (spec.problem) return { status: 'error', message: spec.problem };
  if (!spec.syn) return { status: 'unpaired', message: `${spec.ref}: no synthesized file with the same name` };
  if (pairMode && !spec.ref) return { status: 'unpaired', message: `${spec.syn}: no reference file with the same name` };
  return null;
}

export async function* scorePairs(
  pairs: Iterable<PairSpec> | AsyncIterable<PairSpec>,
  ctx: ScoringContext,
  options: ScoreLoopOptions = {},
): AsyncGenerator<PairResult> {
  const pairMode = ctx.engine.mode === 'pair';
  const layerCounts = ctx.engine.layerCounts;
  const queues = new Map<number, QueuedWindow[]>();
  const ready: PairResult[] = [];
  let queuedSamples = 0;

  const finish = (pair: PairState): void => {
    pair.done = true;
    const { totals, subs } = pair.accumulator.result();
    ready.push({
      key: pair.spec.key,
      ref: pair.spec.ref ?? '',
      syn: pair.spec.syn ?? '',
      status: 'ok',
      error: '',
      sampleRate: ctx.sampleRate,
      refSeconds: pair.refSeconds,
      synSeconds: pair.synSeconds,
      windows: pair.accumulator.windows,
      totals,
      subs,
    });
  };

  const fail = (pair: PairState, message: string): void => {
    if (pair.failed || pair.done) return;
    pair.failed = true;
    ready.push(errorResult(pair.spec, ctx.sampleRate, 'error', message, { ref: pair.refSeconds, syn: pair.synSeconds }));
  };

  const runQueue = async (length: number): Promise<void> => {
    const items = queues.get(length);
    queues.delete(length);
    if (!items || items.length === 0) return;
    queuedSamples -= items.length * length;
    let scores: WindowScores[];
    try {
      scores = await ctx.engine.run(pairMode ? items.map((i) => i.ref!) : null, items.map((i) => i.syn));
    } catch (error) {
      // A runtime failure (e.g. out of memory on a huge whole-file window) costs the pairs in
      // this batch, not the run.
      for (const item of items) fail(item.pair, `scoring failed: ${messageOf(error)}`);
      return;
    }
    items.forEach((item, i) => {
      const pair = item.pair;
      if (pair.failed) return;
      pair.accumulator.add({ ...scores[i]!, melL1: item.melL1 });
      if (pair.accumulator.windows === pair.windowsTotal) finish(pair);
    });
    options.onBatch?.({ windows: items.length, audioSeconds: (items.length * length) / ctx.sampleRate });
  };

  const enqueue = async (item: QueuedWindow): Promise<void> => {
    const length = item.syn.length;
    const queue = queues.get(length) ?? [];
    queue.push(item);
    queues.set(length, queue);
    queuedSamples += length;
    if (queue.length >= ctx.batchSize || queue.length * length >= ctx.batchSamples) await runQueue(length);
  };

  /** Runs every queue when the audio waiting in them exceeds the budget. */
  const relieve = async (force: boolean): Promise<void> => {
    if (!force && queuedSamples < ctx.batchSamples) return;
    for (const length of [...queues.keys()]) await runQueue(length);
  };

  for await (const spec of pairs) {
    if (options.signal?.aborted) break;
    const problem = upfrontProblem(spec, pairMode);
    if (problem) {
      yield errorResult(spec, ctx.sampleRate, problem.status, problem.message);
      continue;
    }
    const readers: AudioReader[] = [];
    let state: PairState | null = null;
    try {
      const syn = await about(spec.syn!, () => openAudio(spec.syn!));
      readers.push(syn);
      const ref = pairMode ? await about(spec.ref!, () => openAudio(spec.ref!)) : null;
      if (ref) readers.push(ref);
      state = {
        spec,
        accumulator: new PairAccumulator(ctx.subNames, layerCounts, pairMode),
        refSeconds: ref ? seconds(ref) : null,
        synSeconds: seconds(syn),
        windowsTotal: 0,
        windowsQueued: 0,
        failed: false,
        done: false,
      };
      const synLength = syn.lengthAt(ctx.sampleRate);
      const refLength = ref ? ref.lengthAt(ctx.sampleRate) : Infinity;
      const length = Math.min(synLength, refLength);
      const melLength = ref ? Math.min(syn.lengthAt(MEL_SAMPLE_RATE), ref.lengthAt(MEL_SAMPLE_RATE)) : 0;
      checkLength(refLength < synLength ? spec.ref! : spec.syn!, length, melLength, ctx, pairMode);
      // Trimming leaves the longer file's tail unread; NaN/Inf there is still a broken file.
      for (const [reader, file] of [[syn, spec.syn!], [ref, spec.ref!]] as const) {
        if (reader) await about(file, () => checkTail(reader, length / ctx.sampleRate));
      }
      const windows = planWindows(length, ctx.segment);
      state.windowsTotal = windows.length;
      for (const w of windows) {
        const item = await readWindow(state, w, syn, ref, melLength, ctx);
        state.windowsQueued += 1;
        await enqueue(item);
        yield* ready.splice(0);
        if (options.signal?.aborted) break;
      }
    } catch (error) {
      const message = messageOf(error);
      if (state) fail(state, message);
      else ready.push(errorResult(spec, ctx.sampleRate, 'error', message));
    } finally {
      await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
    }
    yield* ready.splice(0);
    if (options.signal?.aborted) break;
    await relieve(false);
    yield* ready.splice(0);
  }
  // Interrupted: abandon the queued windows (their pairs are not reported as scored).
  if (!options.signal?.aborted) {
    await relieve(true);
    yield* ready.splice(0);
  }
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

/** `file` is the shorter file of the pair: it decides the trimmed length. */
function checkLength(file: string, length: number, melLength: number, ctx: ScoringContext, pairMode: boolean): void {
  if (length === 0) throw new InputFileError(`${file}: no audio samples`);
  if (length < ctx.minimumLength) {
    const what = pairMode ? 'the pair (trimmed to the shorter file)' : 'it';
    throw new InputFileError(
      `${file}: too short: ${what} has ${length} samples (${formatSeconds(length / ctx.sampleRate)}) at ${ctx.sampleRate} Hz; ` +
        `the discriminators need at least ${ctx.minimumLength} (${formatSeconds(ctx.minimumLength / ctx.sampleRate)})`,
    );
  }
  if (pairMode && melLength < MEL_MIN_SAMPLES) {
    throw new InputFileError(`${file}: too short for the mel distance: ${melLength} samples at 32 kHz, at least ${MEL_MIN_SAMPLES} needed`);
  }
}

async function readWindow(
  pair: PairState,
  w: Window,
  syn: AudioReader,
  ref: AudioReader | null,
  melLength: number,
  ctx: ScoringContext,
): Promise<QueuedWindow> {
  const spec = pair.spec;
  const synWindow = await about(spec.syn!, () => syn.read(ctx.sampleRate, w.start, w.length));
  if (!ref) return { pair, ref: null, syn: synWindow, melL1: Number.NaN };
  const refWindow = await about(spec.ref!, () => ref.read(ctx.sampleRate, w.start, w.length));
  let mel: number;
  if (ctx.sampleRate === MEL_SAMPLE_RATE) {
    mel = melL1(refWindow, synWindow);
  } else {
    // The same stretch of time, read from the source at 32 kHz (not re-resampled from the
    // model rate, which would lose the band above the model's Nyquist).
    const scale = MEL_SAMPLE_RATE / ctx.sampleRate;
    const start = Math.min(Math.round(w.start * scale), Math.max(0, melLength - MEL_MIN_SAMPLES));
    const length = Math.max(MEL_MIN_SAMPLES, Math.min(Math.round(w.length * scale), melLength - start));
    const [r, s] = await Promise.all([
      about(spec.ref!, () => ref.read(MEL_SAMPLE_RATE, start, length)),
      about(spec.syn!, () => syn.read(MEL_SAMPLE_RATE, start, length)),
    ]);
    mel = melL1(r, s);
  }
  return { pair, ref: refWindow, syn: synWindow, melL1: mel };
}
