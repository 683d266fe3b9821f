/** The report layer: output columns, writers, readers and summary. No scoring here. */
export * from './columns.js';
export { resultToRow, finiteOrNull } from './rows.js';
export { mean, percentile, percentileSorted, describe, formatNumber, type MetricStats } from './stats.js';
export { csvHeader, csvLine, parseCsv } from './csv.js';
export { toJsonRecord, modelToJson, modelFromJson, parseJsonDocument, type JsonRecord } from './json.js';
export { jsonlLine, parseJsonl } from './jsonl.js';
export {
  createReportWriter,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportWriter,
  type ReportWriterOptions,
} from './writer.js';
export { leftoverTempFiles } from './sink.js';
export { readReport, parseReport, formatFromPath, sniffFormat, type ReportData } from './read.js';
export {
  summarize,
  formatSummary,
  formatCell,
  oneLine,
  DEFAULT_SUMMARY_METRICS,
  type Summary,
  type SummaryOptions,
  type WorstFile,
  type FailedFile,
} from './summary.js';
