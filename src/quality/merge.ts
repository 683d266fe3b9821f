/**
 * Combines the outputs of several shards (any mix of CSV, JSON, JSONL) into one set of rows.
 * Refuses to mix models: scores from different discriminators, weights or window lengths are
 * not comparable, and a merged report would hide that.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { compareKeys, isTextColumn, rowKey, type CellValue, type Row } from '../report/columns.js';
import type { ReportData } from '../report/read.js';
import { describeMismatch, findModelMismatch } from './same-model.js';

export interface MergeDuplicate {
  readonly key: string;
  /** Every input the key appeared in, in input order; the row from the last one is kept. */
  readonly sources: readonly string[];
}

export interface MergeResult {
  /** Union of the inputs' columns in order of first appearance. */
  readonly columns: readonly string[];
  /** One row per key, sorted by key (UTF-16 code-unit order, the same on every machine). */
  readonly rows: readonly Row[];
  /** The first input's full model description (JSON inputs), else null. */
  readonly model: ModelInfo | null;
  readonly duplicates: readonly MergeDuplicate[];
  /** Inputs whose cut-short last JSONL line was dropped (a shard that was killed). */
  readonly partialInputs: readonly string[];
}

/** Refuses inputs scored with different families, weights or window lengths. */
function checkSameModel(inputs: readonly ReportData[]): void {
  const mismatch = findModelMismatch(inputs);
  if (!mismatch) return;
  const what = { model: 'different models', rate: 'different sample rates', segment: 'different window lengths', align: 'different alignments' }[mismatch.kind];
  throw new UsageError(`cannot merge reports scored with ${what}: ${describeMismatch(mismatch)}`);
}

export function mergeReports(inputs: readonly ReportData[]): MergeResult {
  if (inputs.length === 0) throw new UsageError('nothing to merge: give at least one report');
  checkSameModel(inputs);

  const columns: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    for (const column of input.columns) {
      if (!seen.has(column)) {
        seen.add(column);
        columns.push(column);
      }
    }
  }

  const byKey = new Map<string, { row: Row; sources: string[] }>();
  for (const input of inputs) {
    for (const row of input.rows) {
      const key = rowKey(row);
      const entry = byKey.get(key);
      if (entry) {
        entry.row = row;
        entry.sources.push(input.source);
      } else {
        byKey.set(key, { row, sources: [input.source] });
      }
    }
  }

  const keys = [...byKey.keys()].sort(compareKeys);
  const rows = keys.map((key) => {
    const { row } = byKey.get(key)!;
    const full: Record<string, CellValue> = {};
    for (const column of columns) full[column] = row[column] ?? (isTextColumn(column) ? '' : null);
    return full;
  });
  const duplicates = keys
    .filter((key) => byKey.get(key)!.sources.length > 1)
    .map((key) => ({ key, sources: byKey.get(key)!.sources }));

  return {
    columns,
    rows,
    model: inputs.find((input) => input.model !== null)?.model ?? null,
    duplicates,
    partialInputs: inputs.filter((input) => input.partialLine).map((input) => input.source),
  };
}
