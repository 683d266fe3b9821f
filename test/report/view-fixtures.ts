/** Results as every view gets them (`ReportResults`), built from typed results (not a test file itself). */
import { columnsFor, type Row } from '../../src/report/columns.js';
import type { ReportResults } from '../../src/report/formatter.js';
import type { ReportData } from '../../src/report/read.js';
import { resultToRow } from '../../src/report/rows.js';
import { summarize } from '../../src/report/summary.js';
import { compareWithBaseline, evaluateGates, parseGates, parseMaxRegression } from '../../src/quality/index.js';
import type { ModelInfo, PairResult } from '../../src/scores.js';
import { failedResult, makeModel, okResult } from './helpers.js';

/** Six ok pairs with fm 0.1 … 0.6, one error and one unpaired reference. */
export function sampleResults(): PairResult[] {
  return [
    ...[1, 2, 3, 4, 5, 6].map((i) => okResult(`out/u${i}.wav`, i / 10)),
    failedResult('out/bad.wav', 'out/bad.wav: data chunk declares 64000 bytes but the file ends after 1000'),
    failedResult('', 'ref/lonely.wav: no synthesized file with this name', 'unpaired', 'ref/lonely.wav'),
  ];
}

export interface ViewOptions {
  readonly model?: ModelInfo | null;
  readonly gates?: readonly string[];
  /** Baseline rows: these results scored "before". */
  readonly baseline?: readonly PairResult[];
  readonly maxRegression?: string;
  /** Extra columns appended to every row (e.g. another helper's `mel_dtw`). */
  readonly extra?: Readonly<Record<string, number | string | null>>;
}

export function viewResults(results: readonly PairResult[], options: ViewOptions = {}): ReportResults {
  const model = options.model === undefined ? makeModel() : options.model;
  const base = makeModel();
  const contract = columnsFor(base.subs);
  // Extra values fill contract columns the fixture results leave empty, or add new columns.
  const extraColumns = Object.keys(options.extra ?? {}).filter((c) => !contract.includes(c));
  const columns = [...contract, ...extraColumns];
  const rows: Row[] = results.map((r) => ({ ...resultToRow(r, base), ...(options.extra ?? {}) }));
  const gates = evaluateGates(parseGates(options.gates ?? [], columns), rows);
  let baseline = null;
  if (options.baseline) {
    const data: ReportData = {
      source: 'base.jsonl',
      format: 'jsonl',
      columns,
      rows: options.baseline.map((r) => resultToRow(r, base)),
      model: null,
      partialLine: false,
    };
    baseline = compareWithBaseline(rows, data, { maxRegression: parseMaxRegression(options.maxRegression, columns) });
  }
  return {
    version: '9.9.9',
    model,
    columns,
    subs: base.subs,
    rows,
    summary: summarize(rows),
    gates,
    baseline,
    media: new Map(),
  };
}
