/**
 * The end of `score`, `merge` and `report` alike: judge the rows (gates, baseline), hand the
 * verdicts and the worst files' media to the report writer, tell stderr, GitHub Actions
 * (annotations and step summary) and the exit code.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, messageOf } from '../errors.js';
import { worstFileMedia } from '../pipeline/report-media.js';
import { GateAccumulator } from '../quality/gates.js';
import { checkMetricColumn, formatBaseline, type BaselineComparer, type BaselineComparison, type Gate, type GateResult } from '../quality/index.js';
import { formatFromPath, type ReportFormat } from '../report/formats.js';
import type { ReportExtras, ReportResults } from '../report/formatter.js';
import { githubAnnotations } from '../report/github.js';
import { renderMarkdown } from '../report/markdown.js';
import type { Row } from '../report/columns.js';
import type { Summary, SummaryOptions } from '../report/summary.js';
import type { RegressionTestOptions } from '../quality/regression-test.js';
import type { FileChange } from '../report/verdicts.js';
import { EXIT } from './exit-codes.js';
import { say, type CliIO } from './io.js';

/** `--format`, else the `-o` extension, else `fallback`. */
export function outputFormat(flags: { readonly format?: ReportFormat; readonly output?: string }, fallback: ReportFormat): ReportFormat {
  if (flags.format) return flags.format;
  return (flags.output && formatFromPath(flags.output)) || fallback;
}

export interface WorstFlags {
  readonly worst?: number;
  readonly worstBy?: string;
}

/** `--worst N --worst-by COLUMN` as summary options; a column that cannot be ranked is a usage error. */
export function worstOptions(flags: WorstFlags, columns: readonly string[], referenceFree = false): SummaryOptions {
  if (flags.worstBy !== undefined) {
    checkMetricColumn(flags.worstBy, columns, { referenceFree }, (what) => {
      throw new UsageError(`invalid --worst-by "${flags.worstBy}": ${what}`);
    });
  }
  return { ...(flags.worst !== undefined ? { worstCount: flags.worst } : {}), ...(flags.worstBy !== undefined ? { worstBy: flags.worstBy } : {}) };
}

export interface Judgement {
  readonly gates: readonly GateResult[];
  readonly baseline: BaselineComparison | null;
}

export interface RegressionTestFlags {
  readonly baseline?: string;
  readonly maxRegression?: string;
  readonly regressionTest?: boolean;
  readonly alpha?: number;
  readonly minEffect?: number;
}

/**
 * `--regression-test [--alpha P] [--min-effect PERCENT]` as judge options. Without
 * `--max-regression` the per-file rule is off: the gate is the statistical one alone.
 */
export function regressionTestOptions(flags: RegressionTestFlags): { regressionTest: RegressionTestOptions | null; perFile: boolean } {
  if (!flags.regressionTest) {
    if (flags.alpha !== undefined || flags.minEffect !== undefined) throw new UsageError('--alpha and --min-effect go with --regression-test');
    return { regressionTest: null, perFile: true };
  }
  if (!flags.baseline) throw new UsageError('--regression-test needs --baseline FILE, the earlier report to compare with');
  return {
    regressionTest: { ...(flags.alpha !== undefined ? { alpha: flags.alpha } : {}), ...(flags.minEffect !== undefined ? { minEffectPercent: flags.minEffect } : {}) },
    perFile: flags.maxRegression !== undefined,
  };
}

/**
 * The gates and the baseline comparison, judged a row at a time as rows are written: each
 * gate keeps its counts, values and worst files, the comparison its compact baseline index.
 */
export class Judge {
  private readonly gates: GateAccumulator[];

  constructor(
    gates: readonly Gate[],
    private readonly comparer: BaselineComparer | null,
  ) {
    this.gates = gates.map((gate) => new GateAccumulator(gate));
  }

  /** Judges one row; returns its changes against the baseline (for the HTML page). */
  add(row: Row): readonly FileChange[] {
    for (const gate of this.gates) gate.add(row);
    return this.comparer ? this.comparer.add(row) : [];
  }

  /** `listed`: the files whose baseline changes the output shows (see ReportWriter.lists). */
  async result(listed?: (file: string) => boolean): Promise<Judgement> {
    return { gates: this.gates.map((gate) => gate.result()), baseline: this.comparer ? await this.comparer.finish(listed) : null };
  }
}

/** Whether the run publishes to GitHub Actions (and so needs the views' digest for the step summary). */
export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['GITHUB_ACTIONS'] === 'true';
}

/** What only the whole-document formats need: for HTML, the worst files' links and spectrograms. */
export async function viewExtras(format: ReportFormat, summary: Summary, output: string | undefined, judgement: Judgement): Promise<ReportExtras> {
  const extras: ReportExtras = { gates: judgement.gates, baseline: judgement.baseline };
  if (format !== 'html') return extras;
  const reportDir = output ? path.dirname(path.resolve(output)) : process.cwd();
  return { ...extras, media: await worstFileMedia(summary.worst.files, { reportDir }) };
}

/** Prints failed gates and the baseline comparison on stderr; true when the run failed a gate. */
export function printJudgement(io: CliIO, judgement: Judgement, quiet: boolean): boolean {
  let failed = false;
  for (const result of judgement.gates) {
    if (!result.passed) {
      failed = true;
      say(io, result.message);
    }
  }
  const { baseline } = judgement;
  if (baseline) {
    // --quiet keeps stderr empty when all is well; a regression is always reported.
    if (!quiet || !baseline.passed) io.stderr.write(formatBaseline(baseline));
    if (!baseline.passed) failed = true;
  }
  return failed;
}

/** The path GitHub needs for an annotation: relative to the checkout when the file is in it. */
function workspacePath(file: string, workspace: string | undefined): string {
  if (!workspace) return file;
  const relative = path.relative(workspace, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/**
 * In GitHub Actions (`GITHUB_ACTIONS=true`): failed gates, regressions and files not scored as
 * `::error` annotations on stderr (the runner reads workflow commands from both streams, and
 * stdout may be the report), and the Markdown summary appended to `$GITHUB_STEP_SUMMARY`.
 */
export async function publishToGitHub(io: CliIO, results: ReportResults, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!inGitHubActions(env)) return;
  const workspace = env['GITHUB_WORKSPACE'];
  for (const line of githubAnnotations(results, { filePath: (file) => workspacePath(file, workspace) })) io.stderr.write(`${line}\n`);
  const summaryFile = env['GITHUB_STEP_SUMMARY'];
  if (!summaryFile) return;
  try {
    await appendFile(summaryFile, `${renderMarkdown(results)}\n`);
  } catch (error) {
    say(io, `warning: could not append to GITHUB_STEP_SUMMARY (${summaryFile}): ${messageOf(error)}`);
  }
}

/** 1 when a gate failed, else 3 when files failed, else 0. */
export function exitCodeFor(gateFailed: boolean, summary: Summary): number {
  if (gateFailed) return EXIT.GATE_FAILED;
  if (summary.error + summary.unpaired > 0) return EXIT.FILES_FAILED;
  return EXIT.OK;
}
