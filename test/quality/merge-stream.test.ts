import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import { mergeReportFiles } from '../../src/quality/merge-stream.js';
import { mergeReports } from '../../src/quality/merge.js';
import { readReport } from '../../src/report/read.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import type { PairResult } from '../../src/scores.js';
import { failedResult, makeModel, okResult, tempDir } from '../report/helpers.js';

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

  it('refuses inputs from different models before any row comes out', async () => {
    const a = await shard('a.jsonl', 'jsonl', [okResult('out/a.wav', 0.1)]);
    const b = tmp.path('b.jsonl');
    writeFileSync(b, JSON.stringify({ ref: 'r', syn: 'out/b.wav', status: 'ok', family: 'hifigan', weights: 'sha256:ab12' }) + '\n');
    await expect(mergeReportFiles([a, b])).rejects.toThrow(/cannot merge reports scored with different models/);
  });
});
