/**
 * tts-critic as a library: score synthesized speech against references with GAN
 * discriminators. The CLI is a thin shell around these functions.
 *
 *   import { createScorer } from 'tts-critic';
 *   const scorer = await createScorer({ weights: 'D_2333.pth' });
 *   for await (const r of scorer.scoreFolders('refs', 'outputs')) console.log(r.syn, r.totals?.fm);
 *   await scorer.dispose();
 */
import { createScorer, type ScorerOptions } from './pipeline/scorer.js';
import type { ModelInfo, PairResult } from './scores.js';

export {
  createScorer,
  DEFAULT_ALIGN,
  DEFAULT_MAX_OFFSET_SECONDS,
  DEFAULT_SEGMENT_SECONDS,
  LOSS_MODES,
  type LossMode,
  type Scorer,
  type ScorerOptions,
} from './pipeline/scorer.js';
export { ALIGN_MODES, type AlignMode } from './pipeline/pair-audio.js';
export type { ScoreLoopOptions } from './pipeline/score-pairs.js';
export { discoverPairs, discoverSynOnly, listAudioFiles, type PairSpec } from './pipeline/discover.js';
export { parseManifest, readManifest } from './pipeline/manifest.js';
export { collectPairs, type PairSources } from './pipeline/inputs.js';
export { PairList } from './pipeline/pair-list.js';
export { planWindows, type Window } from './pipeline/windows.js';
export type { ModelInfo, PairResult, PairStatus, PairTotals, SubScores } from './scores.js';
export { UsageError, CheckpointError, InputFileError } from './errors.js';
export { FAMILIES, DEFAULT_FAMILY, findFamily, familyNames, type FamilySpec, type FamilyName } from './model/index.js';
export { ZOO, findModel, modelNames } from './model/zoo.js';
export { loadCheckpoint, type CheckpointInfo, type LoadedCheckpoint, type LoadOptions } from './checkpoint/index.js';
export type { ZooEntry } from './model/zoo.js';
export { openAudio, type AudioInfo, type AudioReader } from './audio/index.js';
export { DEVICES, type Device } from './engine/providers.js';
export {
  createReportWriter,
  readReport,
  openReport,
  summarize,
  SummaryAccumulator,
  formatSummary,
  resultToRow,
  renderHtml,
  renderJunit,
  renderMarkdown,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportResults,
  type ReportWriter,
  type ReportStream,
  type Row,
  type Summary,
} from './report/index.js';
export {
  mergeReports,
  mergeReportFiles,
  parseGates,
  GateAccumulator,
  BaselineIndex,
  BaselineComparer,
  evaluateGates,
  compareWithBaseline,
  parseMaxRegression,
  type Gate,
  type GateResult,
  type BaselineComparison,
  type MergeResult,
  compareReports,
  signedRankTest,
  holmAdjust,
  testMeanRegression,
  DEFAULT_COMPARE_METRICS,
  type CompareReportsOptions,
  type ComparisonResult,
  type SignedRankResult,
  type RegressionTestOptions,
  type MeanRegressionTest,
  type MergedReports,
} from './quality/index.js';
export type {
  ComparedSystem,
  SystemMetricStats,
  PairedComparison,
  MetricComparison,
  RankEntry,
  MissingFile,
  MetricFiles,
  Interval,
  CiMethod,
} from './report/comparison.js';
export { resolveAutoShard, type AutoShard } from './pipeline/shard.js';
export { VERSION } from './version.js';

export interface ScoreReport {
  readonly model: ModelInfo;
  /** One result per pair, sorted by pairing key. */
  readonly results: PairResult[];
}

/** Scores two folders in one call (see createScorer for streaming and reuse). */
export async function score(refDir: string, synDir: string, options: ScorerOptions = {}): Promise<ScoreReport> {
  const scorer = await createScorer(options);
  try {
    const results: PairResult[] = [];
    for await (const r of scorer.scoreFolders(refDir, synDir)) results.push(r);
    results.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { model: scorer.model, results };
  } finally {
    await scorer.dispose();
  }
}
