/**
 * Lean rows (`openReport(..., { lean: true })`, `checkJsonRecord`, `leanCell`): the passes that
 * read a few columns of a million records skip building flat rows, so a lean row must answer
 * every column exactly as the flat row does, and be refused exactly when the flat row is.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../src/errors.js';
import { ColumnCollector, checkJsonRecord, leanCell, rowFromJsonRecord } from '../../src/report/json.js';
import { openReport } from '../../src/report/read-stream.js';
import type { Row } from '../../src/report/columns.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import { LAYERS, TRICKY_PATHS, failedResult, makeModel, okResult, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function rowsOf(path: string, lean: boolean): Promise<{ rows: Row[]; columns: readonly string[] }> {
  const stream = await openReport(path, undefined, { lean });
  const rows: Row[] = [];
  for await (const row of stream.rows()) rows.push(row);
  return { rows, columns: stream.columns };
}

describe.each<ReportFormat>(['jsonl', 'json', 'csv'])('lean %s rows', (format) => {
  it('give every column, per-layer ones included, as the flat rows do', async () => {
    const output = tmp.path(`report.${format}`);
    const writer = createReportWriter({ format, output, model: makeModel(), version: '0.1.0', layers: LAYERS });
    TRICKY_PATHS.forEach((path, i) => writer.write(okResult(path, (i + 1) / 7)));
    writer.write(failedResult('out/broken.wav', 'not a RIFF file'));
    await writer.finish();
    const flat = await rowsOf(output, false);
    const lean = await rowsOf(output, true);
    expect(lean.columns).toEqual(flat.columns);
    expect(flat.columns.some((column) => /^fm_.+_\d+$/.test(column))).toBe(true);
    expect(lean.rows).toHaveLength(flat.rows.length);
    lean.rows.forEach((row, i) => {
      for (const column of flat.columns) {
        const want = flat.rows[i]![column];
        const got = leanCell(row, column);
        // Text read lean may be null where the flat row has '' (both read as empty).
        expect([column, got ?? (want === '' ? '' : null)]).toEqual([column, want ?? null]);
      }
    });
  });
});

describe('checkJsonRecord', () => {
  const good = { ref: 'r.wav', syn: 's.wav', status: 'ok', error: null, fm: 1.5, fm_layers: { p2: [0.1, null, 0.3], s1: [2] } };

  it('adds the same columns, in the same order, as rowFromJsonRecord', () => {
    const flat = new ColumnCollector();
    const lean = new ColumnCollector();
    const records = [good, { ...good, fm_layers: { p2: [0.1], s1: [1, 2, 3], p3: [4] } }, { ...good, extra: 7, fm_layers: null }];
    for (const record of records) {
      rowFromJsonRecord(record, 'x', flat);
      expect(checkJsonRecord(record, 'x', lean)).toBe(record);
    }
    expect(lean.columns).toEqual(flat.columns);
    expect(lean.columns).toEqual(['ref', 'syn', 'status', 'error', 'fm', 'fm_p2_0', 'fm_p2_1', 'fm_p2_2', 'fm_s1_0', 'fm_s1_1', 'fm_s1_2', 'fm_p3_0', 'extra']);
  });

  it.each<[string, unknown]>([
    ['not an object', [1, 2]],
    ['a text column that is a number', { ...good, ref: 3 }],
    ['a number that is text', { ...good, fm: '1.5' }],
    ['fm_layers that is an array', { ...good, fm_layers: [1] }],
    ['a layer list that is not an array', { ...good, fm_layers: { p2: 1 } }],
    ['a layer value that is text', { ...good, fm_layers: { p2: [0.1, 'x'] } }],
  ])('refuses %s with the message rowFromJsonRecord gives', (_what, record) => {
    let flatError: unknown = null;
    try {
      rowFromJsonRecord(record, 'file.jsonl: line 3', new ColumnCollector());
    } catch (error) {
      flatError = error;
    }
    expect(flatError).toBeInstanceOf(UsageError);
    expect(() => checkJsonRecord(record, () => 'file.jsonl: line 3', new ColumnCollector())).toThrow((flatError as Error).message);
  });
});

describe('leanCell', () => {
  it('reads nested layers and nothing that is not a cell', () => {
    const row = checkJsonRecord({ syn: 's.wav', fm: 2, fm_layers: { p2: [0.5, null] } }, 'x', new ColumnCollector());
    expect(leanCell(row, 'fm')).toBe(2);
    expect(leanCell(row, 'fm_p2_0')).toBe(0.5);
    expect(leanCell(row, 'fm_p2_1')).toBeNull();
    expect(leanCell(row, 'fm_p2_2')).toBeUndefined();
    expect(leanCell(row, 'fm_p9_0')).toBeUndefined();
    expect(leanCell(row, 'fm_layers')).toBeUndefined();
    // A flat row answers as it is.
    expect(leanCell({ fm_p2_0: 0.25 }, 'fm_p2_0')).toBe(0.25);
  });

  it('a lean read of a hostile record is refused like a flat one', async () => {
    const path = tmp.path('bad.jsonl');
    writeFileSync(path, `${JSON.stringify({ ref: 'a', syn: 'b', status: 'ok', fm_layers: { p2: [1, 'x'] } })}\n`);
    const stream = await openReport(path, undefined, { lean: true });
    await expect((async () => {
      for await (const row of stream.rows()) void row;
    })()).rejects.toThrow('bad.jsonl: line 1: "fm_layers.p2[1]" must be a number or null');
  });
});
