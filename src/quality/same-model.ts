/**
 * The one "same model" check. Scores from different discriminators (family or weights),
 * different window lengths or a different `--align` are not comparable, so a baseline
 * comparison, a resumed run and a merge all refuse to mix them. Each caller words the refusal
 * for its own flag.
 *
 * What a set of scores was computed with comes from a JSON report's model block when there is
 * one (family, weights and window length), else from the `family` and `weights` columns of its
 * rows (CSV and JSONL do not record the window length). Rows without those columns (hand-made
 * files) cannot be checked and are let through.
 */
import { numberCell, textCell, weightsTag, type Row } from '../report/columns.js';
import type { ModelInfo } from '../scores.js';

/** Scores from one place: this run, a baseline file, a resume file, a shard. */
export interface ScoredSet {
  /** How messages name it: a path, or e.g. `this run`. */
  readonly source: string;
  readonly model: ModelInfo | null;
  /** Its rows, or (for sets read a row at a time) `descriptions` collected from them by `ModelDescriptions`. */
  readonly rows?: readonly Row[];
  readonly descriptions?: readonly string[];
  /** The distinct `sample_rate` values of such rows (`ModelDescriptions.rates`). */
  readonly rates?: readonly number[];
}

/** The model description a row's own `family` and `weights` columns give, or null when it has neither. */
export function rowModel(row: Row): string | null {
  const family = textCell(row, 'family');
  const weights = textCell(row, 'weights');
  return family !== '' || weights !== '' ? describeModel(family, weights) : null;
}

/**
 * The distinct model descriptions of rows seen one at a time, in order of first appearance:
 * what `findModelMismatch` needs of a set without keeping its rows (usually one string).
 */
export class ModelDescriptions {
  private readonly seen = new Set<string>();
  readonly list: string[] = [];
  /** The distinct rates the rows were scored at (usually one). */
  readonly rates: number[] = [];

  add(row: Row): void {
    const what = rowModel(row);
    if (what !== null) this.addDescription(what);
    const rate = numberCell(row, 'sample_rate');
    if (rate !== null && !this.rates.includes(rate)) this.rates.push(rate);
  }

  addDescription(what: string): void {
    if (this.seen.has(what)) return;
    this.seen.add(what);
    this.list.push(what);
  }
}

export interface ModelMismatch {
  /** `model`: another family or other weights; `rate`: another --sample-rate; `segment`: another window length; `align`: another --align. */
  readonly kind: 'model' | 'rate' | 'segment' | 'align';
  /** The first set's description (`gpt-sovits with sha256:…`, or `windows of 64000 samples`). */
  readonly first: { readonly source: string; readonly what: string };
  /** The first set that disagrees with it. */
  readonly second: { readonly source: string; readonly what: string };
}

function describeModel(family: string, weights: string): string {
  return `${family} with ${weights}`;
}

/** Every model description in `set`: its model block, then each row's own columns. */
function modelsOf(set: ScoredSet): string[] {
  const found = set.model ? [describeModel(set.model.family, weightsTag(set.model))] : [];
  if (set.descriptions) found.push(...set.descriptions);
  for (const row of set.rows ?? []) {
    const what = rowModel(row);
    if (what !== null) found.push(what);
  }
  return found;
}

/** The first disagreement between `sets` (in order), or null when all agree as far as known. */
export function findModelMismatch(sets: readonly ScoredSet[]): ModelMismatch | null {
  let model: { source: string; what: string } | null = null;
  for (const set of sets) {
    for (const what of modelsOf(set)) {
      if (model === null) model = { source: set.source, what };
      else if (model.what !== what) return { kind: 'model', first: model, second: { source: set.source, what } };
    }
  }
  // The rate the networks saw: from model blocks and from every row's sample_rate column (the
  // same weights at 40 and 48 kHz give different scores: RVC models come in both).
  let rate: { source: string; what: string } | null = null;
  for (const set of sets) {
    const rates = [set.model?.sampleRate ?? null, ...(set.rates ?? []), ...(set.rows ?? []).map((row) => numberCell(row, 'sample_rate'))];
    for (const value of rates) {
      if (value === null) continue;
      const what = `a sample rate of ${value} Hz`;
      if (rate === null) rate = { source: set.source, what };
      else if (rate.what !== what) return { kind: 'rate', first: rate, second: { source: set.source, what } };
    }
  }
  // Window length and alignment are known only from model blocks (JSON reports, this run).
  const settings: [ModelMismatch['kind'], (model: ModelInfo) => string | null][] = [
    ['segment', (m) => `windows of ${m.segmentSamples} samples`],
    ['align', (m) => (m.align === '' ? null : m.align === 'none' ? '--align none' : `--align offset (up to ${m.maxOffsetSamples} samples)`)],
  ];
  for (const [kind, describe] of settings) {
    let first: { source: string; what: string } | null = null;
    for (const set of sets) {
      const what = set.model ? describe(set.model) : null;
      if (what === null) continue;
      if (first === null) first = { source: set.source, what };
      else if (first.what !== what) return { kind, first, second: { source: set.source, what } };
    }
  }
  return null;
}

/** `a.jsonl was scored with X, this run with Y`: the middle of every refusal. */
export function describeMismatch(m: ModelMismatch): string {
  return `${m.first.source} was scored with ${m.first.what}, ${m.second.source} with ${m.second.what}`;
}
