/**
 * `tts-critic report` and `tts-critic merge`: read saved scores (any mix of CSV, JSON, JSONL,
 * e.g. the shards of a `--shard` run), combine them, judge them (`--fail-if`, `--baseline`)
 * and write them in any format. The two commands differ only in their default output format:
 * `report` makes the HTML view, `merge` a CSV.
 *
 * Reports of any size: the inputs are merged by an external sort (see merge-stream.ts) and
 * every merged row goes straight to the writer, the summary and the judges, which keep a few
 * numbers per row; the baseline is held as a compact index. Everything that can refuse the
 * inputs (models that differ, a metric the baseline lacks) is checked before the first row is
 * written.
 */
import { UsageError } from '../errors.js';
import { BaselineComparer, BaselineIndex, checkBaselineModel, mergeReportFiles, parseGates, parseMaxRegression } from '../quality/index.js';
import { createReportWriter, formatSummary, mayBeLayerColumn, subsFromColumns, type ReportFormat, type ReportWriter } from '../report/index.js';
import { VERSION } from '../version.js';
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
  /** Most files an HTML page lists (`--html-rows`). */
  readonly htmlRows?: number;
}

export async function reportCommand(files: readonly string[], flags: ReportFlags, io: CliIO, defaultFormat: ReportFormat): Promise<number> {
  if (files.length === 0) throw new UsageError('give at least one report file (CSV, JSON or JSONL scores)');
  if (flags.maxRegression !== undefined && !flags.baseline) {
    throw new UsageError('--max-regression needs --baseline FILE, the earlier report to compare with');
  }
  const statistical = regressionTestOptions(flags);
  const merged = await mergeReportFiles(files);
  // Ctrl-C during a long merge: the sorted runs in the temp folder go, and the output (a temp
  // file until it is finished) is left as it was; exit 130/143 as the shell would report it.
  let writer: ReportWriter | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    merged.disposeSync();
    void writer?.discard();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const gates = parseGates(flags.failIf ?? [], merged.columns);
    const maxRegression = flags.baseline ? parseMaxRegression(flags.maxRegression, merged.columns) : null;
    const summaryOptions = worstOptions(flags, merged.columns);
    const baseline = flags.baseline && maxRegression ? await BaselineIndex.read(flags.baseline, maxRegression) : null;
    if (baseline) checkBaselineModel(baseline, merged.model, merged.descriptions);
    // Judged as rows are written; a comparison that cannot be made refuses here, before any output.
    const judge = new Judge(gates, baseline && maxRegression ? new BaselineComparer(baseline, { maxRegression, model: merged.model, ...statistical }) : null);
    for (const p of merged.partialInputs) say(io, `${p}: dropped a cut-short last line (that shard was interrupted)`);

    const format = outputFormat(flags, defaultFormat);
    writer = createReportWriter({
      format,
      ...(flags.output ? { output: flags.output } : { stream: io.stdout }),
      model: merged.model,
      version: VERSION,
      columns: merged.columns,
      summaryOptions,
      digest: inGitHubActions(),
      // Every row is rewritten from files that stay: no need to write each one as it comes.
      batchWrites: true,
      ...(flags.htmlRows !== undefined ? { htmlRows: flags.htmlRows } : {}),
    });
    // To CSV, records are rendered straight from their text (the fast path of a large merge),
    // and an HTML page, which shows no per-layer cell, gets rows without them: both only when
    // no judge reads a per-layer cell.
    const judged = [...gates.map((gate) => gate.target.column), ...Object.keys(maxRegression?.metrics ?? {}), ...(summaryOptions.worstBy ? [summaryOptions.worstBy] : [])];
    try {
      const layersRead = judged.some(mayBeLayerColumn);
      if (format === 'csv' && !layersRead) {
        for await (const batch of merged.csvBatches()) {
          for (const row of batch.rows) judge.add(row);
          writer.writeRendered(batch.rows, batch.csv);
        }
      } else if (format === 'html' && !layersRead) {
        for await (const batch of merged.scalarBatches()) for (const row of batch) writer.writeRow(row, judge.add(row));
      } else {
        for await (const batch of merged.batches()) for (const row of batch) writer.writeRow(row, judge.add(row));
      }
    } catch (error) {
      await writer.discard();
      throw error;
    }
    for (const d of merged.duplicates) say(io, `duplicate record for ${d.key} in ${d.sources.join(', ')}: kept the last`);
    const judgement = await judge.result((file) => writer!.lists(file));
    const summary = writer.summary();
    await writer.finish(summary, await viewExtras(format, summary, flags.output, judgement));
    if (!flags.quiet) io.stderr.write(formatSummary(summary));

    const gateFailed = printJudgement(io, judgement, flags.quiet ?? false);
    const digest = writer.digest();
    await publishToGitHub(io, {
      version: VERSION,
      model: merged.model,
      columns: writer.columns,
      subs: merged.model?.subs ?? subsFromColumns(merged.columns),
      rows: [],
      ...(digest ? { digest } : {}),
      summary,
      ...judgement,
      media: new Map(),
    });
    return exitCodeFor(gateFailed, summary);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await merged.dispose();
  }
}
