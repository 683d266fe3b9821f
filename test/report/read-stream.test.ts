import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync, renameSync } from 'node:fs';
import { openReport } from '../../src/report/read-stream.js';
import { parseReport, readReport } from '../../src/report/read.js';
import { createReportWriter } from '../../src/report/writer.js';
import { makeModel, okResult, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('openReport', () => {
  // Many 64 KiB reads, with multi-byte characters (and a CSV path with a newline) cut at
  // chunk boundaries somewhere: the stream must give exactly what parsing the whole text gives.
  for (const format of ['csv', 'jsonl', 'json'] as const) {
    it(`reads a ${format} report of more than 1 MiB record by record, as parsing it whole does`, async () => {
      const output = tmp.path(`big.${format}`);
      const writer = createReportWriter({ format, output, model: makeModel(), version: '0.1.0' });
      for (let i = 0; i < 3200; i++) writer.write(okResult(`out/spk ${i % 7}/äöü—日本語, "q"${i % 5 === 0 ? '\n' : ''}/u${i}.wav`, (i % 97) / 100));
      await writer.finish();
      const text = readFileSync(output, 'utf8');
      expect(text.length).toBeGreaterThan(1 << 20);
      const whole = parseReport(text, format, output);
      const stream = await openReport(output);
      const rows = [];
      for await (const row of stream.rows()) rows.push(row);
      expect(stream.format).toBe(format);
      expect(rows).toHaveLength(3200);
      expect((await readReport(output)).rows).toEqual(whole.rows);
      expect(stream.columns).toEqual(whole.columns);
      expect(stream.model).toEqual(whole.model);
    });
  }

  it('tells the format from the content when the name does not', async () => {
    const output = tmp.path('scores.jsonl');
    const writer = createReportWriter({ format: 'json', output, model: makeModel(), version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.1));
    await writer.finish();
    const renamed = tmp.path('scores.txt');
    renameSync(output, renamed);
    const stream = await openReport(renamed);
    expect(stream.format).toBe('json');
  });
});
