/**
 * `--resume FILE`: continue a run that was interrupted. The pairs already scored `ok` in FILE
 * are skipped and their records carried into the new output; everything else (error and
 * unpaired rows, pairs not scored yet) is scored again. A record is only carried when it was
 * scored with the same model and belongs to a pair of this run, so the output holds exactly
 * one record per pair, all from one model.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { rowKey, textCell, weightsTag, type Row } from '../report/columns.js';
import type { PairSpec } from './discover.js';

/** The key a pair's record will have (rowKey of its row): the syn path, else the ref path. */
export function pairIdentity(spec: PairSpec): string {
  return spec.syn ?? spec.ref ?? spec.key;
}

/**
 * Refuses records scored with another family or weights than `model`: scores from different
 * discriminators must not end up in one report. Rows without the model columns (hand-made
 * files) cannot be checked and are let through. (CSV/JSONL rows do not record the window
 * length, so a different `--segment` cannot be detected from them.)
 */
export function checkResumeModel(rows: readonly Row[], model: ModelInfo, source: string): void {
  const current = `${model.family} with ${weightsTag(model)}`;
  for (const row of rows) {
    const family = textCell(row, 'family');
    const weights = textCell(row, 'weights');
    if (family === '' && weights === '') continue;
    const previous = `${family} with ${weights}`;
    if (previous !== current) {
      throw new UsageError(
        `cannot resume from ${source}: it was scored with ${previous}, this run with ${current}; ` +
          'use the same model, or write to a fresh output without --resume',
      );
    }
  }
}

export interface ResumePlan {
  /** Records carried over: `ok`, one per key (the last one), of a pair of this run, in order. */
  readonly rows: readonly Row[];
  /** The pairs still to score, in their original order. */
  readonly pairs: readonly PairSpec[];
  /** `ok` records naming no pair of this run (another folder, shard or manifest): dropped. */
  readonly foreign: number;
}

/** Splits this run's pairs into those already done in `previous` and those still to score. */
export function planResume(previous: readonly Row[], pairs: readonly PairSpec[]): ResumePlan {
  const wanted = new Set(pairs.map(pairIdentity));
  const done = new Map<string, Row>();
  let foreign = 0;
  for (const row of previous) {
    if (row['status'] !== 'ok') continue;
    const key = rowKey(row);
    if (!wanted.has(key)) foreign++;
    else done.set(key, row);
  }
  return { rows: [...done.values()], pairs: pairs.filter((p) => !done.has(pairIdentity(p))), foreign };
}
