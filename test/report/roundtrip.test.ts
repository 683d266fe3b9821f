/** Every format through its writer and back through the reader must give the same rows. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isTextColumn, type Row } from '../../src/report/columns.js';
import { readReport } from '../../src/report/read.js';
import { resultToRow } from '../../src/report/rows.js';
import { summarize } from '../../src/report/summary.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import type { PairResult } from '../../src/scores.js';
import { LAYERS, TRICKY_PATHS, failedResult, makeModel, okResult, tempDir } from './helpers.js';

const model = makeModel();

/** Values that only survive with shortest-round-trip formatting and full float64 precision. */
function extremeResult(): PairResult {
  const result = okResult('out/extreme.wav', 1 / 3);
  return {
    ...result,
    totals: {
      fm: 0.1 + 0.2,
      gen: 5e-324,
      real: 1.7976931348623157e308,
      fake: -2.5e-7,
      disc: 123456789.12345679,
      melL1: 1e-300,
    },
  };
}

function results(): PairResult[] {
  return [
    ...TRICKY_PATHS.map((path, i) => okResult(path, (i + 1) / 7, `ref/${path}`)),
    extremeResult(),
    okResult('out/syn-only.wav', 0.4, '', true),
    failedResult('out/broken, "bad".wav', 'cannot decode out/broken, "bad".wav:\nnot a RIFF file'),
    failedResult('', 'no synthesized file for this reference', 'unpaired', 'ref/lonely ünï.wav'),
  ];
}

/** Compares every column either side has; absent cells count as null (numbers) or '' (text). */
function expectSameRows(actual: readonly Row[], expected: readonly Row[], keep: (column: string) => boolean): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i]!;
    const columns = new Set([...Object.keys(row), ...Object.keys(want)].filter(keep));
    for (const column of columns) {
      const empty = isTextColumn(column) ? '' : null;
      expect([column, row[column] ?? empty]).toEqual([column, want[column] ?? empty]);
    }
  });
}

describe.each<[ReportFormat, boolean]>([
  ['csv', false],
  ['csv', true],
  ['json', false],
  ['jsonl', false],
])('%s round trip (csv layer columns: %s)', (format, layers) => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('reads back exactly what was written, paths, nulls and full-precision numbers included', async () => {
    const output = tmp.path(`report.${format}`);
    const writer = createReportWriter({ format, output, model, version: '0.1.0', ...(layers ? { layers: LAYERS } : {}) });
    const written = results();
    for (const result of written) writer.write(result);
    const rows = written.map((r) => resultToRow(r, model));
    await writer.finish(summarize(rows));

    const data = await readReport(output);
    expect(data.format).toBe(format);
    expect(data.partialLine).toBe(false);
    // CSV only carries per-layer columns when asked; JSON and JSONL always carry fm_layers.
    const keepLayers = format !== 'csv' || layers;
    expectSameRows(data.rows, rows, (column) => keepLayers || !/^fm_.+_\d+$/.test(column));
    expect(data.rows[TRICKY_PATHS.length]!['fm']).toBe(0.1 + 0.2);
    expect(data.rows[TRICKY_PATHS.length]!['gen']).toBe(5e-324);
    expect(data.rows[TRICKY_PATHS.length]!['real']).toBe(1.7976931348623157e308);
    expect(data.rows.map((r) => r['syn'])).toEqual(written.map((r) => r.syn));
    expect(data.columns.slice(0, writer.columns.length)).toEqual(
      format === 'csv' ? writer.columns : writer.columns.filter((c) => !/^fm_.+_\d+$/.test(c)),
    );
    if (format === 'json') expect(data.model).toEqual(model);
    else expect(data.model).toBeNull();
  });

  it('never writes NaN or Infinity', async () => {
    const output = tmp.path(`nan.${format}`);
    const writer = createReportWriter({ format, output, model, version: '0.1.0', ...(layers ? { layers: LAYERS } : {}) });
    const result = okResult('out/nan.wav', 0.5);
    writer.write({
      ...result,
      totals: { ...result.totals!, fm: Number.NaN, gen: Infinity, real: -Infinity },
      subs: result.subs.map((s) => ({ ...s, fmLayers: [Number.NaN, 1] })),
    });
    await writer.finish();
    const text = readFileSync(output, 'utf8');
    expect(text).not.toMatch(/NaN|Infinity/);
    const [row] = (await readReport(output)).rows;
    expect(row!['fm']).toBeNull();
    expect(row!['gen']).toBeNull();
    expect(row!['real']).toBeNull();
    if (format !== 'csv' || layers) {
      expect(row!['fm_s_0']).toBeNull();
      expect(row!['fm_s_1']).toBe(1);
    }
  });
});

describe('record layout', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('JSONL records carry the contract keys in order, then fm_layers', async () => {
    const output = tmp.path('a.jsonl');
    const writer = createReportWriter({ format: 'jsonl', output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    writer.write(okResult('out/b.wav', 0.5, '', true));
    await writer.finish();
    const [first, second] = readFileSync(output, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(Object.keys(first)).toEqual([...writer.columns, 'fm_layers']);
    expect(first.fm_layers).toEqual({ s: [0.25, 0.5 / 3, 0.125], p2: [1.25, 0.5 / 3 + 1], r1024: [2.25, 0.5 / 3 + 2] });
    expect(second.fm_layers).toBeNull();
    expect(second.fm).toBeNull();
    expect(second.ref).toBe('');
  });

  it('the JSON document has tool, version, model (snake_case), files and summary', async () => {
    const output = tmp.path('a.json');
    const writer = createReportWriter({ format: 'json', output, model, version: '9.9.9' });
    writer.write(okResult('out/a.wav', 0.5));
    writer.write(failedResult('out/b.wav', 'bad'));
    await writer.finish();
    const doc = JSON.parse(readFileSync(output, 'utf8'));
    expect(Object.keys(doc)).toEqual(['tool', 'version', 'model', 'files', 'summary']);
    expect(doc.tool).toBe('tts-critic');
    expect(doc.version).toBe('9.9.9');
    expect(doc.model).toEqual({
      family: 'gpt-sovits',
      sample_rate: 32000,
      sample_rate_source: 'family default (gpt-sovits)',
      subs: ['s', 'p2', 'r1024'],
      weights: 'untrained',
      seed: 0,
      checkpoint: null,
      sha256: null,
      precision: null,
      provider: 'cpu',
      adapter: null,
      segment_samples: 96000,
      align: 'offset',
      max_offset_samples: 16000,
    });
    expect(doc.files).toHaveLength(2);
    expect(doc.summary).toMatchObject({ files: 2, ok: 1, error: 1, unpaired: 0, interrupted: false });
  });
});
