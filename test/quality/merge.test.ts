import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../src/errors.js';
import { mergeReports } from '../../src/quality/merge.js';
import { parseReport, readReport } from '../../src/report/read.js';
import { resultToRow } from '../../src/report/rows.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import type { ModelInfo, PairResult } from '../../src/scores.js';
import { failedResult, makeModel, okResult, tempDir } from '../report/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function shard(name: string, format: ReportFormat, results: PairResult[], model: ModelInfo = makeModel()): Promise<string> {
  const output = tmp.path(name);
  const writer = createReportWriter({ format, output, model, version: '0.1.0' });
  for (const result of results) writer.write(result);
  await writer.finish();
  return output;
}

describe('mergeReports', () => {
  it('merges CSV, JSON and JSONL shards into rows sorted by key', async () => {
    const inputs = await Promise.all([
      shard('1.csv', 'csv', [okResult('out/d.wav', 0.4), okResult('out/b.wav', 0.2)]),
      shard('2.json', 'json', [okResult('out/a.wav', 0.1), failedResult('out/c, "x".wav', 'bad')]),
      shard('3.jsonl', 'jsonl', [okResult('out/e.wav', 0.5), failedResult('', 'no partner', 'unpaired', 'ref/Z.wav')]),
    ]).then((paths) => Promise.all(paths.map((p) => readReport(p))));
    const merged = mergeReports(inputs);
    expect(merged.rows.map((r) => r['syn'] || r['ref'])).toEqual([
      'out/a.wav',
      'out/b.wav',
      'out/c, "x".wav',
      'out/d.wav',
      'out/e.wav',
      'ref/Z.wav',
    ]);
    expect(merged.duplicates).toEqual([]);
    expect(merged.model).toEqual(makeModel());
    expect(merged.rows.find((r) => r['syn'] === 'out/d.wav')!['fm']).toBe(0.4);
    // CSV rows had no per-layer columns; in the merge they are null, the JSON ones kept.
    expect(merged.rows.find((r) => r['syn'] === 'out/d.wav')!['fm_s_0']).toBeNull();
    expect(merged.rows.find((r) => r['syn'] === 'out/a.wav')!['fm_s_0']).toBe(0.05);
    expect(merged.columns.slice(0, 5)).toEqual(['ref', 'syn', 'status', 'error', 'sample_rate']);
    for (const row of merged.rows) expect(Object.keys(row)).toEqual(merged.columns);
  });

  it('keeps the last of duplicate keys and reports where they came from', async () => {
    const first = await readReport(await shard('1.jsonl', 'jsonl', [failedResult('out/a.wav', 'flaky'), okResult('out/b.wav', 0.2)]));
    const second = await readReport(await shard('2.csv', 'csv', [okResult('out/a.wav', 0.3)]));
    const merged = mergeReports([first, second]);
    expect(merged.rows.map((r) => [r['syn'], r['status']])).toEqual([
      ['out/a.wav', 'ok'],
      ['out/b.wav', 'ok'],
    ]);
    expect(merged.duplicates).toEqual([{ key: 'out/a.wav', sources: [first.source, second.source] }]);
  });

  it('sorts by code units, not by locale', () => {
    const data = parseReport('ref,syn,status\n,b.wav,ok\n,B.wav,ok\n,ä.wav,ok\n,a.wav,ok\n', 'csv', 'x.csv');
    expect(mergeReports([data]).rows.map((r) => r['syn'])).toEqual(['B.wav', 'a.wav', 'b.wav', 'ä.wav']);
  });

  it('refuses shards scored with different weights or families', async () => {
    const a = await readReport(await shard('a.jsonl', 'jsonl', [okResult('out/a.wav', 0.1)]));
    const b = await readReport(await shard('b.csv', 'csv', [okResult('out/b.wav', 0.1)], makeModel({ seed: 1 })));
    expect(() => mergeReports([a, b])).toThrow(UsageError);
    expect(() => mergeReports([a, b])).toThrow(/gpt-sovits with untrained:seed=0.*gpt-sovits with untrained:seed=1/);
    const c = await readReport(
      await shard('c.json', 'json', [okResult('out/c.wav', 0.1)], makeModel({ family: 'hifigan', weights: 'checkpoint', seed: null, sha256: 'ab12' })),
    );
    expect(() => mergeReports([a, c])).toThrow(/hifigan with sha256:ab12/);
  });

  it('refuses JSON shards scored with different window lengths', async () => {
    const a = await readReport(await shard('a.json', 'json', [okResult('out/a.wav', 0.1)]));
    const b = await readReport(await shard('b.json', 'json', [okResult('out/b.wav', 0.1)], makeModel({ segmentSamples: 0 })));
    expect(() => mergeReports([a, b])).toThrow(/different window lengths/);
  });

  it('reads a killed shard (cut-short JSONL) and says so', async () => {
    const path = await shard('k.jsonl', 'jsonl', [okResult('out/a.wav', 0.1)]);
    const cut = tmp.path('killed.jsonl');
    writeFileSync(cut, `${JSON.stringify(resultToRow(okResult('out/z.wav', 0.1), makeModel()))}\n{"ref":"ref/y.wav","sy`);
    const merged = mergeReports([await readReport(path), await readReport(cut)]);
    expect(merged.rows.map((r) => r['syn'])).toEqual(['out/a.wav', 'out/z.wav']);
    expect(merged.partialInputs).toEqual([cut]);
  });

  it('needs at least one input', () => {
    expect(() => mergeReports([])).toThrow(UsageError);
  });

  it('writes back out through a writer built from the merge', async () => {
    const inputs = [
      await readReport(await shard('1.csv', 'csv', [okResult('out/b.wav', 0.2)])),
      await readReport(await shard('2.jsonl', 'jsonl', [okResult('out/a.wav', 0.1)])),
    ];
    const merged = mergeReports(inputs);
    const output = tmp.path('merged.jsonl');
    const writer = createReportWriter({ format: 'jsonl', output, model: merged.model, columns: merged.columns, version: '0.1.0' });
    for (const row of merged.rows) writer.writeRow(row);
    await writer.finish();
    const back = await readReport(output);
    expect(back.rows).toEqual(merged.rows);
  });
});
