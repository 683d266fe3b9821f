/**
 * Combines the outputs of several shards (any mix of CSV, JSON, JSONL) into one set of rows.
 * Refuses to mix models: scores from different discriminators, weights or window lengths are
 * not comparable, and a merged report would hide that.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { compareKeys, isTextColumn, rowKey, textCell, weightsTag, type CellValue, type Row } from './columns.js';
import type { ReportData } from './read.js';

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

function identity(family: string, weights: string): string {
  return `${family} with ${weights}`;
}

/** Checks that every input row and model description names the same family and weights. */
function checkSameModel(inputs: readonly ReportData[]): void {
  let first: { id: string; source: string } | null = null;
  const check = (id: string, source: string): void => {
    if (first === null) first = { id, source };
    else if (first.id !== id) {
      throw new UsageError(
        `cannot merge reports scored with different models: ${first.source} has ${first.id}, ${source} has ${id}`,
      );
    }
  };
  let segment: { samples: number; source: string } | null = null;
  for (const input of inputs) {
    if (input.model) {
      check(identity(input.model.family, weightsTag(input.model)), input.source);
      if (segment === null) segment = { samples: input.model.segmentSamples, source: input.source };
      else if (segment.samples !== input.model.segmentSamples) {
        throw new UsageError(
          `cannot merge reports scored with different window lengths: ${segment.source} has segment_samples ` +
            `${segment.samples}, ${input.source} has ${input.model.segmentSamples}`,
        );
      }
    }
    for (const row of input.rows) {
      const family = textCell(row, 'family');
      const weights = textCell(row, 'weights');
      // Rows without the model columns (hand-made files) cannot be checked and are let through.
      if (family !== '' || weights !== '') check(identity(family, weights), input.source);
    }
  }
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
