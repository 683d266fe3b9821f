/** Turns typed scoring results into the flat rows every output format is written from. */
import type { ModelInfo, PairResult } from '../scores.js';
import { MODEL_COLUMNS, layerColumn, nativeColumn, subColumns, weightsTag, type CellValue, type Row } from './columns.js';

/**
 * NaN and ±Infinity become null: JSON cannot hold them and a CSV `NaN` would not read back as a
 * number in most tools. A score that is not finite is reported as missing, never as a number.
 */
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The output row for one result. Every column of `columnsFor(model.subs)` is present; sub
 * columns follow the model's sub order (a sub missing from `result.subs` gives nulls), and
 * per-layer values are added as `fm_<sub>_<i>` whenever the result has them (writers decide
 * whether to emit them). Rows that are not `ok` carry nulls for every score.
 */
export function resultToRow(result: PairResult, model: ModelInfo): Row {
  const totals = result.status === 'ok' ? result.totals : null;
  const row: Record<string, CellValue> = {
    ref: result.ref,
    syn: result.syn,
    status: result.status,
    error: result.error,
    sample_rate: finiteOrNull(result.sampleRate),
    ref_seconds: finiteOrNull(result.refSeconds),
    syn_seconds: finiteOrNull(result.synSeconds),
    ref_format: result.refFormat ?? '',
    syn_format: result.synFormat ?? '',
    ref_sample_rate: finiteOrNull(result.refSampleRate),
    syn_sample_rate: finiteOrNull(result.synSampleRate),
    windows: finiteOrNull(result.windows),
    fm: finiteOrNull(totals?.fm),
    gen: finiteOrNull(totals?.gen),
    real: finiteOrNull(totals?.real),
    fake: finiteOrNull(totals?.fake),
    disc: finiteOrNull(totals?.disc),
    mel_l1: finiteOrNull(totals?.melL1),
    mel_dtw: finiteOrNull(totals?.melDtw),
    offset_ms: result.status === 'ok' ? finiteOrNull(result.offsetMs) : null,
    warning: result.status === 'ok' ? (result.warning ?? '') : '',
  };
  const byName = new Map(result.status === 'ok' ? result.subs.map((s) => [s.name, s] as const) : []);
  for (const sub of model.subs) {
    const scores = byName.get(sub);
    const [fm, gen, real, fake] = subColumns(sub) as [string, string, string, string];
    row[fm] = finiteOrNull(scores?.fm);
    row[gen] = finiteOrNull(scores?.gen);
    row[real] = finiteOrNull(scores?.real);
    row[fake] = finiteOrNull(scores?.fake);
  }
  for (const name of model.nativeLosses ?? []) row[nativeColumn(name)] = finiteOrNull(result.status === 'ok' ? result.native?.[name] : null);
  row[MODEL_COLUMNS[0]] = model.family;
  row[MODEL_COLUMNS[1]] = weightsTag(model);
  for (const sub of model.subs) {
    const layers = byName.get(sub)?.fmLayers ?? [];
    layers.forEach((value, i) => {
      row[layerColumn(sub, i)] = finiteOrNull(value);
    });
  }
  return row;
}
