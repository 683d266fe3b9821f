/**
 * What the human and CI views (HTML, Markdown, JUnit, GitHub annotations) show alike, worked
 * out once from the shared result types: the main metrics' statistics, the model described in
 * words, and the headline counts.
 */
import { mainMetrics, numberCell, textCell, type Row } from './columns.js';
import type { ReportFrame, ReportResults } from './formatter.js';
import { describe, formatNumber, type MetricStats } from './stats.js';
import type { Summary } from './summary.js';

/** Values of `column` over ok rows that have one. */
export function okValues(rows: readonly Row[], column: string): number[] {
  const values: number[] = [];
  for (const row of rows) {
    if (row['status'] !== 'ok') continue;
    const value = numberCell(row, column);
    if (value !== null) values.push(value);
  }
  return values;
}

export interface MetricSummary {
  readonly metric: string;
  readonly stats: MetricStats;
}

/** Statistics of every main metric (see `mainMetrics`) that has a value in some ok row. */
export function mainMetricStats(results: Pick<ReportResults, 'rows' | 'columns'>): MetricSummary[] {
  return mainMetrics(results.columns)
    .map((metric) => ({ metric, stats: describe(okValues(results.rows, metric)) }))
    .filter((entry) => entry.stats.count > 0);
}

/** `12 files: 10 ok, 1 error, 1 unpaired`. */
export function countsLine(summary: Summary): string {
  return (
    `${summary.files} file${summary.files === 1 ? '' : 's'}: ${summary.ok} ok, ${summary.error} error, ${summary.unpaired} unpaired` +
    (summary.interrupted ? ' (interrupted: only the files finished before the stop)' : '')
  );
}

/**
 * The model as label/value pairs: the full description of a JSON report or a fresh run, or
 * what the rows' `family` and `weights` columns say for reports read back from CSV/JSONL.
 */
export function modelFacts(frame: Pick<ReportFrame, 'model' | 'subs'>, rows: readonly Row[]): [string, string][] {
  const { model } = frame;
  if (!model) {
    const row = rows.find((r) => textCell(r, 'family') !== '' || textCell(r, 'weights') !== '');
    const facts: [string, string][] = [];
    if (row) facts.push(['family', textCell(row, 'family')], ['weights', textCell(row, 'weights')]);
    if (frame.subs.length > 0) facts.push(['sub-discriminators', frame.subs.join(' ')]);
    facts.push(['note', 'read from CSV/JSONL scores, which do not record the window length or provider']);
    return facts;
  }
  const facts: [string, string][] = [['family', model.family]];
  if (model.weights === 'untrained') {
    facts.push(['weights', `untrained, seed ${model.seed ?? 0} (adversarial scores need a trained checkpoint)`]);
  } else {
    facts.push(['weights', model.checkpoint ?? 'checkpoint']);
    if (model.sha256) facts.push(['sha256', model.sha256]);
    if (model.precision) facts.push(['precision', model.precision]);
  }
  facts.push(['sample rate', `${model.sampleRate} Hz${model.sampleRateSource ? ` (${model.sampleRateSource})` : ''}`]);
  facts.push([
    'window',
    model.segmentSamples > 0 ? `${formatNumber(model.segmentSamples / model.sampleRate)} s (${model.segmentSamples} samples)` : 'whole files',
  ]);
  if (model.align !== '') {
    const search = `up to ${formatNumber((1000 * model.maxOffsetSamples) / model.sampleRate)} ms either way`;
    facts.push(['alignment', model.align === 'offset' ? `one constant offset per pair (--align offset, ${search})` : 'none (--align none)']);
  }
  facts.push(['provider', model.provider]);
  facts.push(['sub-discriminators', model.subs.join(' ')]);
  return facts;
}
