/**
 * What the human and CI views (HTML, Markdown, JUnit, GitHub annotations) show alike, worked
 * out once from the shared result types: the main metrics' statistics, the model described in
 * words, and the headline counts.
 */
import { mainMetrics, numberCell, textCell, type Row } from './columns.js';
import type { ReportFrame, ReportResults } from './formatter.js';
import { FloatColumn, RunningMean } from './compact.js';
import { histogram, type Histogram } from './histogram.js';
import { describeSorted, formatNumber, type MetricStats } from './stats.js';
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
export function mainMetricStats(results: Pick<ReportResults, 'rows' | 'columns' | 'subs' | 'digest'>): MetricSummary[] {
  return viewDigest(results).metrics.map(({ metric, stats }) => ({ metric, stats }));
}

/**
 * What the views show of every row, gathered a row at a time so a view of a million files does
 * not need the million rows: the main metrics' statistics and histograms (8 bytes per ok file
 * and metric), the per-sub means, and the model columns of the first row that has them.
 */
export interface ViewDigest {
  /** Every row, whatever its status. */
  readonly files: number;
  /** Main metrics with a value in some ok row, in column order. */
  readonly metrics: readonly { readonly metric: string; readonly stats: MetricStats; readonly histogram: Histogram }[];
  /** Mean of `fm_<sub>` and `gen_<sub>` over ok rows, per sub in `subs` order (null: no value). */
  readonly subMeans: { readonly fm: readonly (number | null)[]; readonly gen: readonly (number | null)[] };
  /** The first row with a `family` or `weights` (for reports without a model block). */
  readonly modelRow: Row | null;
}

export class ViewAccumulator {
  private files = 0;
  private readonly metrics: { metric: string; values: FloatColumn }[];
  private readonly subs: { fm: RunningMean; gen: RunningMean; fmColumn: string; genColumn: string }[];
  private modelRow: Row | null = null;

  constructor(columns: readonly string[], subs: readonly string[]) {
    this.metrics = mainMetrics(columns).map((metric) => ({ metric, values: new FloatColumn() }));
    this.subs = subs.map((sub) => ({ fm: new RunningMean(), gen: new RunningMean(), fmColumn: `fm_${sub}`, genColumn: `gen_${sub}` }));
  }

  add(row: Row): void {
    this.files++;
    if (this.modelRow === null && (textCell(row, 'family') !== '' || textCell(row, 'weights') !== '')) {
      this.modelRow = { family: textCell(row, 'family'), weights: textCell(row, 'weights') };
    }
    if (row['status'] !== 'ok') return;
    for (const { metric, values } of this.metrics) {
      const value = numberCell(row, metric);
      if (value !== null) values.push(value);
    }
    for (const sub of this.subs) {
      const fm = numberCell(row, sub.fmColumn);
      if (fm !== null) sub.fm.add(fm);
      const gen = numberCell(row, sub.genColumn);
      if (gen !== null) sub.gen.add(gen);
    }
  }

  result(): ViewDigest {
    return {
      files: this.files,
      metrics: this.metrics
        .filter(({ values }) => values.length > 0)
        .map(({ metric, values }) => {
          const sorted = values.values().sort();
          return { metric, stats: describeSorted(sorted), histogram: histogram(sorted) };
        }),
      subMeans: { fm: this.subs.map((s) => s.fm.value()), gen: this.subs.map((s) => s.gen.value()) },
      modelRow: this.modelRow,
    };
  }
}

/** The results' digest: the one the writer gathered, or one made from `rows` (library callers). */
export function viewDigest(results: Pick<ReportResults, 'rows' | 'columns' | 'subs' | 'digest'>): ViewDigest {
  if (results.digest) return results.digest;
  const accumulator = new ViewAccumulator(results.columns, results.subs);
  for (const row of results.rows) accumulator.add(row);
  return accumulator.result();
}

/** The first row with model columns, as `modelFacts` takes it. */
export function modelRows(results: Pick<ReportResults, 'rows' | 'columns' | 'subs' | 'digest'>): Row[] {
  const row = viewDigest(results).modelRow;
  return row ? [row] : [];
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
