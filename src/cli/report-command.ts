/**
 * `tts-critic report` and `tts-critic merge`: read saved scores (any mix of CSV, JSON, JSONL,
 * e.g. the shards of a `--shard` run), combine them, judge them (`--fail-if`, `--baseline`)
 * and write them in any format. The two commands differ only in their default output format:
 * `report` makes the HTML view, `merge` a CSV.
 */
import { UsageError } from '../errors.js';
import { checkBaselineModel, mergeReports, parseGates, parseMaxRegression } from '../quality/index.js';
import { createReportWriter, formatSummary, readReport, subsFromColumns, summarize, type ReportFormat } from '../report/index.js';
import { VERSION } from '../version.js';
import { say, type CliIO } from './io.js';
import {
  exitCodeFor,
  judge,
  outputFormat,
  printJudgement,
  publishToGitHub,
  regressionTestOptions,
  viewExtras,
  worstOptions,
  type RegressionTestFlags,
  type WorstFlags,
} from './outcome.js';

export interface ReportFlags extends WorstFlags, RegressionTestFlags {
  readonly format?: ReportFormat;
  readonly output?: string;
  readonly failIf?: readonly string[];
  readonly baseline?: string;
  readonly maxRegression?: string;
  readonly quiet?: boolean;
}

export async function reportCommand(files: readonly string[], flags: ReportFlags, io: CliIO, defaultFormat: ReportFormat): Promise<number> {
  if (files.length === 0) throw new UsageError('give at least one report file (CSV, JSON or JSONL scores)');
  if (flags.maxRegression !== undefined && !flags.baseline) {
    throw new UsageError('--max-regression needs --baseline FILE, the earlier report to compare with');
  }
  const statistical = regressionTestOptions(flags);
  const inputs = [];
  for (const file of files) inputs.push(await readReport(file));
  const merged = mergeReports(inputs);
  const gates = parseGates(flags.failIf ?? [], merged.columns);
  const maxRegression = flags.baseline ? parseMaxRegression(flags.maxRegression, merged.columns) : null;
  const summaryOptions = worstOptions(flags, merged.columns);
  const baseline = flags.baseline ? await readReport(flags.baseline) : null;
  if (baseline && merged.model) checkBaselineModel(baseline, merged.model);
  for (const d of merged.duplicates) say(io, `duplicate record for ${d.key} in ${d.sources.join(', ')}: kept the last`);
  for (const p of merged.partialInputs) say(io, `${p}: dropped a cut-short last line (that shard was interrupted)`);

  // Judged before anything is written: a comparison that cannot be made leaves no output.
  const judgement = judge(merged.rows, { gates, baseline, maxRegression, model: merged.model, ...statistical });
  const summary = summarize(merged.rows, summaryOptions);
  const format = outputFormat(flags, defaultFormat);
  const writer = createReportWriter({
    format,
    ...(flags.output ? { output: flags.output } : { stream: io.stdout }),
    model: merged.model,
    version: VERSION,
    columns: merged.columns,
  });
  for (const row of merged.rows) writer.writeRow(row);
  await writer.finish(summary, await viewExtras(format, summary, flags.output, judgement));
  if (!flags.quiet) io.stderr.write(formatSummary(summary));

  const gateFailed = printJudgement(io, judgement, flags.quiet ?? false);
  await publishToGitHub(io, {
    version: VERSION,
    model: merged.model,
    columns: writer.columns,
    subs: merged.model?.subs ?? subsFromColumns(merged.columns),
    rows: merged.rows,
    summary,
    ...judgement,
    media: new Map(),
  });
  return exitCodeFor(gateFailed, summary);
}
