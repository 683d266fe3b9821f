/** `tts-critic merge`: combine shard outputs (any mix of CSV/JSON/JSONL) into one report (CSV by default). */
import type { CliIO } from './io.js';
import { reportCommand, type ReportFlags } from './report-command.js';

export type MergeFlags = ReportFlags;

export function mergeCommand(files: readonly string[], flags: MergeFlags, io: CliIO): Promise<number> {
  return reportCommand(files, flags, io, 'csv');
}
