/**
 * `tts-critic score`: everything between parsed flags and an exit code. Scoring itself is the
 * library's job (createScorer); this file chooses inputs, wires progress, output, summary,
 * gates, baseline and interruption handling, and decides the exit code.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Device } from '../engine/providers.js';
import { collectPairs } from '../pipeline/inputs.js';
import type { AlignMode } from '../pipeline/pair-audio.js';
import { hasTimingWarning } from '../pipeline/pair-warnings.js';
import { checkResumeDescriptions, indexResume } from '../pipeline/resume.js';
import { createScorer, DEFAULT_ALIGN, type LossMode } from '../pipeline/scorer.js';
import { inShard, parseShard, resolveAutoShard, withShard } from '../pipeline/shard.js';
import { BaselineComparer, BaselineIndex, checkBaselineModel, parseGates, parseMaxRegression } from '../quality/index.js';
import { columnsFor, createReportWriter, formatSummary, resultToRow, type ReportFormat, type Row } from '../report/index.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { say, type CliIO } from './io.js';
import {
  Judge,
  exitCodeFor,
  inGitHubActions,
  outputFormat,
  printJudgement,
  publishToGitHub,
  regressionTestOptions,
  viewExtras,
  worstOptions,
  type Judgement,
  type RegressionTestFlags,
  type WorstFlags,
} from './outcome.js';
import { createDownloadProgress, createProgress } from './progress.js';
import { watchInterruptions } from './signals.js';

export interface ScoreFlags extends WorstFlags, RegressionTestFlags {
  readonly family?: string;
  readonly weights?: string;
  readonly model?: string;
  readonly seed?: number;
  readonly sampleRate?: number;
  readonly segment?: number;
  readonly align?: AlignMode;
  readonly maxOffset?: number;
  readonly loss?: LossMode;
  readonly maxDuration?: number;
  readonly format?: ReportFormat;
  readonly output?: string;
  readonly layers?: boolean;
  readonly batchSize?: number;
  readonly batchMemory?: number;
  readonly threads?: number;
  readonly device?: Device;
  readonly quiet?: boolean;
  readonly failIf?: readonly string[];
  readonly baseline?: string;
  readonly maxRegression?: string;
  readonly pairs?: string;
  readonly synOnly?: string;
  readonly shard?: string;
  readonly resume?: string;
  readonly cacheDir?: string;
  readonly offline?: boolean;
  /** Most files an HTML page lists (`--html-rows`). */
  readonly htmlRows?: number;
}

async function checkOutputWritable(output: string | undefined): Promise<void> {
  if (!output) return;
  const dir = path.dirname(path.resolve(output));
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new Error('not a folder');
    await fs.access(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`cannot write output ${output}: folder ${dir} does not exist or is not writable`);
  }
  try {
    if ((await fs.stat(output)).isDirectory()) throw new UsageError(`cannot write output ${output}: it is a folder`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
}

/**
 * The note on stderr about time alignment, once per run, and only when some scored pair carries
 * a warning: that is when fm and mel_l1 may measure timing rather than quality, and the note says
 * what to use instead. On pairs without warnings (aligned vocoder outputs) it would be noise.
 */
export function timingNote(rows: readonly Row[], align: AlignMode): string | null {
  const count = new TimingCount();
  for (const row of rows) count.add(row);
  return count.note(align);
}

/** What `timingNote` needs of each row, counted as rows are written. */
class TimingCount {
  private warned = 0;
  private ok = 0;

  add(row: Row): void {
    if (row['status'] !== 'ok') return;
    this.ok++;
    if (typeof row['warning'] === 'string' && hasTimingWarning(row['warning'])) this.warned++;
  }

  note(align: AlignMode): string | null {
    return timingNoteFor(this.warned, this.ok, align);
  }
}

function timingNoteFor(warned: number, ok: number, align: AlignMode): string | null {
  if (warned === 0) return null;
  const offset = align === 'offset' ? '--align offset (in use) removes only a constant delay' : 'for a constant delay use --align offset';
  return (
    `note: ${warned} of ${ok} scored pairs carry a warning (see the warning column). fm and mel_l1 compare the files ` +
    `frame by frame and assume they are time-aligned; ${offset}. For outputs with their own timing (TTS) use mel_dtw, ` +
    'or the reference-free scores gen and fake (--syn-only) with a trained checkpoint.'
  );
}

/**
 * What `scoreCommand` is built from, replaceable so a test can drive the whole command with a
 * stand-in scorer (the CLI always uses the real one).
 */
export interface ScoreDependencies {
  readonly createScorer?: typeof createScorer;
}

export async function scoreCommand(
  refDir: string | undefined,
  synDir: string | undefined,
  flags: ScoreFlags,
  io: CliIO,
  dependencies: ScoreDependencies = {},
): Promise<number> {
  const quiet = flags.quiet ?? false;
  const notice = (message: string) => {
    if (!quiet) say(io, message);
  };
  // `--shard auto` asks the scheduler's job-array variables; `-o`/`--resume` may name `{shard}`.
  const auto = flags.shard ? resolveAutoShard(flags.shard) : null;
  const shard = auto ?? (flags.shard ? parseShard(flags.shard) : null);
  if (auto) notice(`--shard auto: ${auto.source}`);
  flags = {
    ...flags,
    ...(flags.output !== undefined ? { output: withShard(flags.output, shard) } : {}),
    ...(flags.resume !== undefined ? { resume: withShard(flags.resume, shard, '--resume') } : {}),
  };
  const format = outputFormat(flags, 'csv');
  if (flags.maxRegression !== undefined && !flags.baseline) {
    throw new UsageError('--max-regression needs --baseline FILE, the earlier report to compare with');
  }
  const statistical = regressionTestOptions(flags);
  await checkOutputWritable(flags.output);

  let pairs = await collectPairs({ refDir, synDir, pairs: flags.pairs, synOnly: flags.synOnly, stdin: io.stdin });
  if (shard) {
    const total = pairs.length;
    pairs = pairs.filter((p) => inShard(p.key, shard));
    notice(`shard ${shard.index}/${shard.count}: ${pairs.length} of ${total} pairs`);
  }
  // Only ok records of this run's pairs are carried over (one per pair); the rest is scored.
  const resume = await indexResume(flags.resume, pairs);
  const leftovers = resume.leftovers;
  const resumedCount = resume.done.size;
  if (resumedCount > 0 || resume.foreign > 0) {
    pairs = resume.pairs;
    notice(
      `resuming: ${resumedCount} pairs already scored in ${flags.resume}, ${pairs.length} to go` +
        (resume.foreign > 0 ? `; ignored ${resume.foreign} records of pairs that are not part of this run` : ''),
    );
  }

  const download = flags.model ? createDownloadProgress(flags.model, { quiet, stream: io.stderr }) : null;
  const scorer = await (dependencies.createScorer ?? createScorer)({
    family: flags.family,
    weights: flags.weights,
    model: flags.model,
    seed: flags.seed,
    sampleRate: flags.sampleRate,
    segment: flags.segment,
    align: flags.align,
    maxOffset: flags.maxOffset,
    loss: flags.loss,
    maxDuration: flags.maxDuration,
    batchSize: flags.batchSize,
    batchMemory: flags.batchMemory,
    threads: flags.threads,
    device: flags.device,
    synOnly: flags.synOnly !== undefined,
    cacheDir: flags.cacheDir,
    offline: flags.offline,
    onDownloadProgress: download?.update,
    onNotice: notice,
  }).finally(() => download?.stop());
  try {
    const model = scorer.model;
    const layers = flags.layers ? Object.fromEntries(model.subs.map((s, i) => [s, scorer.layerCounts[i]!])) : undefined;
    // Parse gates and baseline settings before the (long) scoring, so mistakes exit 2 at once.
    const columns = columnsFor(model.subs, layers, model.nativeLosses);
    const referenceFree = { referenceFree: flags.synOnly !== undefined };
    const gates = parseGates(flags.failIf ?? [], columns, referenceFree);
    const maxRegression = flags.baseline ? parseMaxRegression(flags.maxRegression, columns, '--max-regression', referenceFree) : null;
    const summaryOptions = worstOptions(flags, columns, referenceFree.referenceFree);
    const baseline = flags.baseline && maxRegression ? await BaselineIndex.read(flags.baseline, maxRegression) : null;
    if (baseline) checkBaselineModel(baseline, model);
    if (flags.resume) checkResumeDescriptions(resume.descriptions, model, flags.resume);
    // Every row is judged, summarized and counted as it is written: memory per scored file is a
    // few numbers per summarized or gated column, whatever the number of files.
    const judge = new Judge(gates, baseline && maxRegression ? new BaselineComparer(baseline, { maxRegression, model, ...statistical }) : null);
    const timing = new TimingCount();
    const writer = createReportWriter({
      format,
      ...(flags.output ? { output: flags.output } : { stream: io.stdout }),
      model,
      version: VERSION,
      ...(layers ? { layers } : {}),
      summaryOptions,
      digest: inGitHubActions(),
      ...(flags.htmlRows !== undefined ? { htmlRows: flags.htmlRows } : {}),
      // Records carried over by --resume are written in batches; scored ones each as it finishes.
      batchWrites: true,
    });
    const take = (row: Row): void => {
      writer.writeRow(row, judge.add(row));
      timing.add(row);
    };
    try {
      for await (const batch of resume.carried()) for (const row of batch) take(row);
      writer.batchWrites(false);
    } catch (error) {
      await writer.discard();
      throw error;
    }

    let scored = 0;
    const progress = createProgress(pairs.length, { quiet, stream: io.stderr });
    const interruption = watchInterruptions((signal) => {
      progress.stop();
      say(io, `${signal} received: finishing the batch in flight, then writing what was scored (send again to quit at once)`);
    });
    const onStdoutError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') interruption.brokenPipe();
    };
    if (!flags.output) io.stdout.on('error', onStdoutError);
    try {
      for await (const result of scorer.scorePairs(pairs, {
        signal: interruption.signal,
        onBatch: ({ audioSeconds }) => progress.scored(audioSeconds),
      })) {
        take(resultToRow(result, model));
        scored++;
        progress.pairDone();
      }
    } finally {
      progress.stop();
      interruption.dispose();
      io.stdout.removeListener('error', onStdoutError);
    }

    const interrupted = interruption.exitCode();
    const summary = { ...writer.summary(), interrupted: interrupted !== null };
    let judgement: Judgement = { gates: [], baseline: null };
    if (interrupted === null) {
      try {
        judgement = await judge.result((file) => writer.lists(file));
      } catch (error) {
        // The scores are written whatever the comparison says (e.g. a metric missing from the baseline).
        await writer.finish(summary);
        throw error;
      }
      await writer.finish(summary, await viewExtras(format, summary, flags.output, judgement));
    } else {
      await writer.abort(summary);
    }
    // Records taken over from killed runs are now in the output, unless it was a stdout that
    // closed early: only then are their temp files still the one copy.
    if (interrupted === null || flags.output) await Promise.all(leftovers.map((f) => fs.rm(f, { force: true })));
    if (interrupted === EXIT.BROKEN_PIPE) return interrupted;
    if (interrupted !== null) {
      say(io, `interrupted: ${scored} of ${pairs.length} pairs scored and written; rerun with --resume to continue`);
    }
    if (!quiet) {
      const note = timing.note(flags.align ?? DEFAULT_ALIGN);
      if (note) say(io, note);
      io.stderr.write(formatSummary(summary));
    }
    if (interrupted !== null) return interrupted;

    const gateFailed = printJudgement(io, judgement, quiet);
    const digest = writer.digest();
    await publishToGitHub(io, { version: VERSION, model, columns: writer.columns, subs: model.subs, rows: [], ...(digest ? { digest } : {}), summary, ...judgement, media: new Map() });
    return exitCodeFor(gateFailed, summary);
  } finally {
    await scorer.dispose();
  }
}
