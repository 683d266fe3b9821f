/** `tts-critic merge`: combine shard outputs (any mix of CSV/JSON/JSONL) into one report. */
import { UsageError } from '../errors.js';
import { evaluateGates, mergeReports, parseGates } from '../quality/index.js';
import { createReportWriter, formatFromPath, formatSummary, readReport, summarize, type ReportFormat } from '../report/index.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { say, type CliIO } from './io.js';

export interface MergeFlags {
  readonly format?: ReportFormat;
  readonly output?: string;
  readonly failIf?: readonly string[];
  readonly quiet?: boolean;
}

export async function mergeCommand(files: readonly string[], flags: MergeFlags, io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('merge needs at least one report file');
  const inputs = [];
  for (const file of files) inputs.push(await readReport(file));
  const merged = mergeReports(inputs);
  const gates = parseGates(flags.failIf ?? [], merged.columns);
  for (const d of merged.duplicates) say(io, `duplicate record for ${d.key} in ${d.sources.join(", ")}: kept the last`);
  for (const p of merged.partialInputs) say(io, `${p}: dropped a cut-short last line (that shard was interrupted)`);

  const format: ReportFormat = flags.format ?? ((flags.output && formatFromPath(flags.output)) || 'csv');
  const writer = createReportWriter({
    format,
    ...(flags.output ? { output: flags.output } : { stream: io.stdout }),
    model: merged.model,
    version: VERSION,
    columns: merged.columns,
  });
  for (const row of merged.rows) writer.writeRow(row);
  const summary = summarize(merged.rows);
  await writer.finish(summary);
  if (!flags.quiet) io.stderr.write(formatSummary(summary));

  let failed = false;
  for (const result of evaluateGates(gates, merged.rows)) {
    if (!result.passed) {
      failed = true;
      say(io, result.message);
    }
  }
  if (failed) return EXIT.GATE_FAILED;
  return summary.error + summary.unpaired > 0 ? EXIT.FILES_FAILED : EXIT.OK;
}
