/** The report layer: output columns, one formatter module per output format, writers, readers and summary. No scoring here. */
export * from './columns.js';
export { resultToRow, finiteOrNull } from './rows.js';
export { mean, percentile, percentileSorted, describe, formatNumber, type MetricStats } from './stats.js';
export { csvHeader, csvLine, parseCsv } from './csv.js';
export { toJsonRecord, modelToJson, modelFromJson, parseJsonDocument, type JsonRecord } from './json.js';
export { jsonlLine, parseJsonl } from './jsonl.js';
export { createReportWriter, type ReportWriter, type ReportWriterOptions } from './writer.js';
export { FORMATTERS, REPORT_FORMATS, READABLE_FORMATS, isReadableFormat, type ReportFormat, type ReadableFormat } from './formats.js';
export type { Formatter, ReportFrame, ReportResults, ReportExtras, FileMedia, AudioMedia } from './formatter.js';
export type { GateVerdict, GateFile, BaselineComparison, Regression, FileChange, MetricCheck, StatusChange, Direction } from './verdicts.js';
export { renderHtml, htmlViewData, type HtmlViewData } from './html.js';
export { renderJunit } from './junit.js';
export { renderMarkdown, escapeMarkdown } from './markdown.js';
export { githubAnnotations, workflowCommand, escapeData, escapeProperty } from './github.js';
export { spectrogramImage, spectrogramMax, type Spectrogram } from './spectrogram-image.js';
export { histogram, type Histogram } from './histogram.js';
export { leftoverTempFiles } from './sink.js';
export { readReport, parseReport, formatFromPath, sniffFormat, type ReportData } from './read.js';
export { openReport, type ReportStream } from './read-stream.js';
export { RowSample, DEFAULT_HTML_ROWS } from './html-sample.js';
export { ViewAccumulator, type ViewDigest } from './views.js';
export {
  summarize,
  SummaryAccumulator,
  formatSummary,
  formatCell,
  oneLine,
  DEFAULT_SUMMARY_METRICS,
  LISTED_FAILURES,
  failureCount,
  type Summary,
  type SummaryOptions,
  type WorstFile,
  type FailedFile,
} from './summary.js';
