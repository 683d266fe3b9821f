import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import { mergeReportFiles } from '../../src/quality/merge-stream.js';
import { mergeReports } from '../../src/quality/merge.js';
import { readReport } from '../../src/report/read.js';
import { csvLine } from '../../src/report/csv.js';
import { layerColumnMatcher, type Row } from '../../src/report/columns.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import type { PairResult } from '../../src/scores.js';
import { LAYERS, failedResult, makeModel, okResult, tempDir } from '../report/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function shard(name: string, format: ReportFormat, results: PairResult[]): Promise<string> {
  const output = tmp.path(name);
  const writer = createReportWriter({ format, output, model: makeModel(), version: '0.1.0' });
  for (const result of results) writer.write(result);
  await writer.finish();
  return output;
}

async function collect(paths: string[], chunkBytes?: number) {
  const merged = await mergeReportFiles(paths, { tempDir: tmp.path('.'), ...(chunkBytes ? { chunkBytes } : {}) });
  const rows = [];
  for await (const row of merged.rows()) rows.push(row);
  return { merged, rows };
}

describe('mergeReportFiles', () => {
  it('gives what mergeReports gives, whether it fits in memory or spills sorted runs to disk', async () => {
    const results = (offset: number) =>
      Array.from({ length: 60 }, (_, i) => {
        const n = (i * 17 + offset) % 90; // overlapping keys: duplicates across shards
        return n % 13 === 0 ? failedResult(`out/${n}.wav`, 'bad') : okResult(`out/${n}.wav`, n / 100);
      });
    const paths = [await shard('1.jsonl', 'jsonl', results(0)), await shard('2.csv', 'csv', results(5)), await shard('3.json', 'json', results(11))];
    const expected = mergeReports(await Promise.all(paths.map((p) => readReport(p))));
    for (const chunkBytes of [undefined, 2000]) {
      const { merged, rows } = await collect(paths, chunkBytes);
      expect(merged.columns).toEqual(expected.columns);
      expect(rows).toEqual(expected.rows);
      expect(merged.duplicates).toEqual(expected.duplicates);
      expect(merged.model).toEqual(expected.model);
      // Spilled runs are gone once the rows are read.
      expect(readdirSync(tmp.path('.')).filter((name) => name.startsWith('tts-critic-merge-'))).toEqual([]);
    }
  });

  it('gives, as CSV batches, the CSV of the merged rows, each row with every cell but the per-layer ones', async () => {
    const results = (offset: number) =>
      Array.from({ length: 60 }, (_, i) => {
        const n = (i * 17 + offset) % 90;
        return n % 13 === 0 ? failedResult(`out/${n},x.wav`, 'bad "input"') : okResult(`out/${n}.wav`, n / 100);
      });
    const layered = async (name: string, format: ReportFormat, list: PairResult[]): Promise<string> => {
      const output = tmp.path(name);
      const writer = createReportWriter({ format, output, model: makeModel(), version: '0.1.0', layers: LAYERS });
      for (const result of list) writer.write(result);
      await writer.finish();
      return output;
    };
    const paths = [await layered('1.jsonl', 'jsonl', results(0)), await layered('2.csv', 'csv', results(5)), await layered('3.json', 'json', results(11))];
    for (const chunkBytes of [undefined, 2000]) {
      const { merged, rows: expected } = await collect(paths, chunkBytes);
      const again = await mergeReportFiles(paths, { tempDir: tmp.path('.'), ...(chunkBytes ? { chunkBytes } : {}) });
      let csv = '';
      const rows = [];
      for await (const batch of again.csvBatches()) {
        expect(batch.csv.toString().split('\n').length - 1).toBe(batch.rows.length);
        csv += batch.csv.toString();
        rows.push(...batch.rows);
      }
      expect(csv).toBe(expected.map((row) => csvLine(row, merged.columns)).join(''));
      expect(again.duplicates).toEqual(merged.duplicates);
      const layerCell = layerColumnMatcher(merged.model!.subs);
      const scalars = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([column]) => !layerCell(column)));
      expect(rows.map(scalars)).toEqual(expected.map(scalars));
      // The records of the JSON inputs took the text path (rows without layer cells), the CSV input's rows the parser.
      const ok = rows.filter((row) => row['status'] === 'ok');
      const textPath = ok.filter((row) => !('fm_s_0' in row)).length;
      expect(textPath).toBeGreaterThan(0);
      expect(textPath).toBeLessThan(ok.length);
      const third = await mergeReportFiles(paths, { tempDir: tmp.path('.'), ...(chunkBytes ? { chunkBytes } : {}) });
      const scalarRows = [];
      for await (const batch of third.scalarBatches()) scalarRows.push(...batch);
      expect(scalarRows.map(scalars)).toEqual(expected.map(scalars));
      expect(scalarRows.filter((row) => row['status'] === 'ok' && !('fm_s_0' in row)).length).toBe(textPath);
      expect(readdirSync(tmp.path('.')).filter((name) => name.startsWith('tts-critic-merge-'))).toEqual([]);
    }
  });

  it('refuses inputs from different models before any row comes out', async () => {
    const a = await shard('a.jsonl', 'jsonl', [okResult('out/a.wav', 0.1)]);
    const b = tmp.path('b.jsonl');
    writeFileSync(b, JSON.stringify({ ref: 'r', syn: 'out/b.wav', status: 'ok', family: 'hifigan', weights: 'sha256:ab12' }) + '\n');
    await expect(mergeReportFiles([a, b])).rejects.toThrow(/cannot merge reports scored with different models/);
  });
});
