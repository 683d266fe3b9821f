/**
 * The scoring loop: open each pair, cut it into windows at the model rate, batch the windows
 * through the engine, fold window scores into per-pair means and yield each pair's result as
 * soon as its last window is scored.
 *
 * Memory stays bounded whatever the file lengths: windows are read one at a time and queued
 * audio never exceeds a few batches' worth (see the batcher), so a two-hour file costs no more
 * than a short one.
 */
import { interruptible } from '../util/yield.js';
import type { WindowScores } from '../engine/engine.js';
import type { ScoringEngine } from '../engine/open-engine.js';
import { messageOf } from '../errors.js';
import type { PairResult } from '../scores.js';
import { type NativeLossPlan, PairAccumulator } from './aggregate.js';
import { WindowBatcher, type BatchLimits } from './batcher.js';
import type { PairSpec } from './discover.js';
import { PairAudio, type PairAlignOptions, type PairAudioLimits, type PairFiles, type PairTiming } from './pair-audio.js';
import { alignmentWarning, durationWarning, fileWarnings } from './pair-warnings.js';
import { planWindows } from './windows.js';

export interface ScoringContext extends BatchLimits, PairAudioLimits, PairAlignOptions {
  readonly engine: ScoringEngine;
  readonly subNames: readonly string[];
  /** Window length in model samples; 0 = whole files. */
  readonly segment: number;
  /** `--loss native`: how the family's own losses are made (null or absent: standard scores only). */
  readonly native?: NativeLossPlan | null;
}

export interface ScoreLoopOptions {
  readonly signal?: AbortSignal;
  /** Called after every engine call with the windows and audio seconds it scored. */
  readonly onBatch?: (info: { windows: number; audioSeconds: number }) => void;
}

/** A pair being scored: its windows' running sums, until the last one is in. */
interface PairState {
  readonly spec: PairSpec;
  readonly accumulator: PairAccumulator;
  files: PairFiles;
  windowsTotal: number;
  settled: boolean;
  /** Known once the pair's audio is prepared. */
  timing: PairTiming | null;
  melDtw: number | null;
}

export function pairResult(
  spec: PairSpec,
  sampleRate: number,
  status: 'error' | 'unpaired',
  error: string,
  files: PairFiles = {},
): PairResult {
  return {
    key: spec.key,
    ref: spec.ref ?? '',
    syn: spec.syn ?? '',
    status,
    error,
    sampleRate,
    refSeconds: files.ref?.seconds ?? null,
    synSeconds: files.syn?.seconds ?? null,
    refFormat: files.ref?.format ?? null,
    synFormat: files.syn?.format ?? null,
    refSampleRate: files.ref?.sampleRate ?? null,
    synSampleRate: files.syn?.sampleRate ?? null,
    windows: 0,
    offsetMs: null,
    warning: fileWarnings(files).join('; '),
    totals: null,
    subs: [],
  };
}

/** The timing warnings of a scored pair: every reason its frame-by-frame comparison may be unsound. */
function timingWarnings(timing: PairTiming, sampleRate: number, offsetMs: number | null): string[] {
  const warnings: string[] = [];
  const problem = timing.estimate?.problem;
  if (problem) warnings.push(alignmentWarning(problem));
  if (timing.unusable) warnings.push(alignmentWarning('the offset found leaves too little overlap to score'));
  const duration = durationWarning(timing.refRest, timing.synRest, sampleRate, offsetMs);
  if (duration) warnings.push(duration);
  if (timing.melDtwProblem) warnings.push(timing.melDtwProblem);
  return warnings;
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
  const ready: PairResult[] = [];

  const fail = (pair: PairState, message: string): void => {
    if (pair.settled) return;
    pair.settled = true;
    ready.push(pairResult(pair.spec, ctx.sampleRate, 'error', message, pair.files));
  };

  const scored = (pair: PairState, scores: WindowScores & { melL1: number }): void => {
    if (pair.settled) return;
    pair.accumulator.add(scores);
    if (pair.accumulator.windows < pair.windowsTotal) return;
    pair.settled = true;
    const { totals, subs, native } = pair.accumulator.result();
    const timing = pair.timing;
    const offsetMs = timing?.estimate && !timing.unusable && timing.estimate.samples !== null ? (1000 * timing.offset) / ctx.sampleRate : null;
    const base = pairResult(pair.spec, ctx.sampleRate, 'error', '', pair.files);
    ready.push({
      ...base,
      status: 'ok',
      windows: pair.accumulator.windows,
      offsetMs,
      // pairResult wrote the files' decoder warnings; the timing ones follow them.
      warning: [base.warning, ...(timing ? timingWarnings(timing, ctx.sampleRate, offsetMs) : [])].filter(Boolean).join('; '),
      totals: { ...totals, melDtw: pair.melDtw },
      subs,
      ...(native ? { native } : {}),
    });
  };

  const batcher = new WindowBatcher<{ pair: PairState; melL1: number }>(ctx.engine, ctx, {
    scored: ({ pair, melL1 }, scores) => scored(pair, { ...scores, melL1 }),
    // A runtime failure (e.g. out of memory on a huge whole-file window) costs the pairs in
    // that batch, not the run.
    failed: ({ pair }, error) => fail(pair, `scoring failed: ${messageOf(error)}`),
    ran: (windows, samples) => options.onBatch?.({ windows, audioSeconds: samples / ctx.sampleRate }),
  });

  for await (const spec of pairs) {
    if (options.signal?.aborted) break;
    const problem = upfrontProblem(spec, pairMode);
    if (problem) {
      yield pairResult(spec, ctx.sampleRate, problem.status, problem.message);
      continue;
    }
    const state: PairState = {
      spec: pairMode ? spec : { ...spec, ref: null },
      accumulator: new PairAccumulator(ctx.subNames, ctx.engine.layerCounts, pairMode, ctx.native ?? null),
      files: {},
      windowsTotal: 0,
      settled: false,
      timing: null,
      melDtw: null,
    };
    let audio: PairAudio | null = null;
    try {
      // Opening aligns and computes mel_dtw over whole files: long for long files, so it stops
      // at the next pause() once the run is interrupted (util/yield.ts), as window reads do.
      audio = await interruptible(options.signal, () =>
        PairAudio.open(state.spec, ctx, (files) => {
          state.files = files;
        }),
      );
      state.timing = audio.timing;
      state.melDtw = audio.melDtw;
      const windows = planWindows(audio.length, ctx.segment);
      state.windowsTotal = windows.length;
      for (const w of windows) {
        const opened = audio;
        const { ref, syn, melL1 } = await interruptible(options.signal, () => opened.read(w));
        await batcher.add({ ref, syn, tag: { pair: state, melL1 } });
        yield* ready.splice(0);
        if (options.signal?.aborted) break;
      }
    } catch (error) {
      // An interrupted pair is not finished: no row (`--resume` scores it again).
      if (options.signal?.aborted) state.settled = true;
      else fail(state, messageOf(error));
    } finally {
      await audio?.close();
    }
    yield* ready.splice(0);
    if (options.signal?.aborted) break;
    await batcher.relieve();
    yield* ready.splice(0);
  }
  // Interrupted: the call in progress finishes and its pairs are reported; windows still
  // queued are abandoned (their pairs are not reported as scored).
  if (options.signal?.aborted) await batcher.settle();
  else await batcher.flush();
  yield* ready.splice(0);
}
