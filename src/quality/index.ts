/**
 * Judging results: `--fail-if` gates, the `--baseline` comparison, merging reports, and the
 * checks they share (one "same model" check, one metric-column check). Works on report rows,
 * so it serves a fresh run, saved reports and merged shards alike. No scoring here.
 */
export { GateAccumulator, evaluateGate, evaluateGates, parseGate, parseGates, type Gate, type GateResult } from './gates.js';
export {
  BaselineComparer,
  BaselineIndex,
  checkBaselineModel,
  compareWithBaseline,
  formatBaseline,
  parseMaxRegression,
  type BaselineComparison,
  type MaxRegression,
} from './baseline.js';
export { mergeReports, type MergeDuplicate, type MergeResult } from './merge.js';
export { mergeReportFiles, type MergedReports, type MergeStreamOptions } from './merge-stream.js';
export { findModelMismatch, describeMismatch, type ModelMismatch, type ScoredSet } from './same-model.js';
export { checkMetricColumn, type ColumnCheckOptions } from './columns.js';
