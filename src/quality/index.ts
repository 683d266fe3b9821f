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
export { compareReports, compareTables, DEFAULT_COMPARE_METRICS, type CompareReportsOptions, type ComparisonResult } from './compare.js';
export { readScoreTable, tableFromReport, type ScoreTable } from './score-table.js';
export { testMeanRegression, DEFAULT_REGRESSION_ALPHA, DEFAULT_MIN_EFFECT_PERCENT, type RegressionTestOptions, type MeanRegressionTest } from './regression-test.js';
export { signedRankTest, type SignedRankResult } from './stats/wilcoxon.js';
export { holmAdjust } from './stats/holm.js';
export { meanInterval, bootstrapMeanInterval, normalMeanInterval, BOOTSTRAP_BUDGET, DEFAULT_RESAMPLES, type MeanInterval } from './stats/bootstrap.js';
