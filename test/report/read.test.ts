import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../src/errors.js';
import { formatFromPath, parseReport, readReport, sniffFormat } from '../../src/report/read.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import { makeModel, okResult, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function written(format: ReportFormat, name: string): Promise<string> {
  const output = tmp.path(name);
  const writer = createReportWriter({ format, output, model: makeModel(), version: '0.1.0' });
  writer.write(okResult('out/a.wav', 0.5));
  writer.write(okResult('out/b.wav', 0.25));
  await writer.finish();
  return output;
}

describe('format detection', () => {
  it('goes by extension', () => {
    expect(formatFromPath('a/b.CSV')).toBe('csv');
    expect(formatFromPath('b.json')).toBe('json');
    expect(formatFromPath('b.jsonl')).toBe('jsonl');
    expect(formatFromPath('b.ndjson')).toBe('jsonl');
    expect(formatFromPath('b.txt')).toBeNull();
  });

  it.each<ReportFormat>(['csv', 'json', 'jsonl'])('sniffs %s content without a telling extension', async (format) => {
    const path = await written(format, `report-${format}.out`);
    const data = await readReport(path);
    expect(data.format).toBe(format);
    expect(data.rows).toHaveLength(2);
  });

  it('sniffs a one-line JSON document as JSON', () => {
    expect(sniffFormat('{"tool":"tts-critic","version":"1","model":null,"files":[],"summary":null}')).toBe('json');
    expect(sniffFormat('{"ref":"a","syn":"b","status":"ok"}\n')).toBe('jsonl');
    expect(sniffFormat('\uFEFFref,syn,status\n')).toBe('csv');
  });
});

describe('CSV reading', () => {
  it('parses numbers, keeps text, reads empty numeric cells as null, strips a BOM', () => {
    const data = parseReport('\uFEFFref,syn,status,error,fm,gen\nr.wav,s.wav,ok,,1.5e-3,\n', 'csv', 'x.csv');
    expect(data.rows).toEqual([{ ref: 'r.wav', syn: 's.wav', status: 'ok', error: '', fm: 0.0015, gen: null }]);
  });

  it('rejects a cell that is not a number, naming file, record and column', () => {
    expect(() => parseReport('ref,syn,status,fm\nr,s,ok,0x10\n', 'csv', 'x.csv')).toThrow(
      new UsageError('x.csv: record 1, column "fm": expected a number, got "0x10"'),
    );
    expect(() => parseReport('ref,syn,status,fm\nr,s,ok,NaN\n', 'csv', 'x.csv')).toThrow(UsageError);
  });

  it('rejects ragged rows, unclosed quotes and repeated header names', () => {
    expect(() => parseReport('ref,syn,status\nr,s\n', 'csv', 'x.csv')).toThrow(/cannot read x\.csv as CSV/);
    expect(() => parseReport('ref,syn,status\n"r,s,ok\n', 'csv', 'x.csv')).toThrow(/cannot read x\.csv as CSV/);
    expect(() => parseReport('ref,syn,syn,status\nr,s,t,ok\n', 'csv', 'x.csv')).toThrow(/appears twice/);
  });

  it('refuses a file that is not a report', () => {
    expect(() => parseReport('name,score\na,1\n', 'csv', 'x.csv')).toThrow(/does not look like a tts-critic report/);
  });
});

describe('JSON document reading', () => {
  it('explains a cut-short document', () => {
    expect(() => parseReport('{\n  "tool": "tts-critic",\n  "files": [\n    {"ref":"a"', 'json', 'x.json')).toThrow(
      /x\.json: not complete JSON/,
    );
  });

  it('refuses JSON that is not a tts-critic report', () => {
    expect(() => parseReport('{"files":[]}', 'json', 'x.json')).toThrow(/not a tts-critic JSON report/);
    expect(() => parseReport('{"tool":"tts-critic","files":{}}', 'json', 'x.json')).toThrow(/"files" must be an array/);
    expect(() => parseReport('{"tool":"tts-critic","files":[],"model":{"family":1}}', 'json', 'x.json')).toThrow(/"model"/);
  });

  it('fills columns a record lacks', () => {
    const data = parseReport(
      '{"tool":"tts-critic","model":null,"files":[{"ref":"a","syn":"b","status":"ok","fm":1},{"ref":"c","syn":"d","status":"error","error":"x"}]}',
      'json',
      'x.json',
    );
    expect(data.columns).toEqual(['ref', 'syn', 'status', 'fm', 'error']);
    expect(data.rows[0]).toEqual({ ref: 'a', syn: 'b', status: 'ok', fm: 1, error: '' });
    expect(data.rows[1]).toEqual({ ref: 'c', syn: 'd', status: 'error', fm: null, error: 'x' });
  });
});

describe('readReport', () => {
  it('turns a missing file into a usage error', async () => {
    await expect(readReport(tmp.path('missing.jsonl'))).rejects.toThrow(UsageError);
  });

  it('honours an explicit format over the extension', async () => {
    const path = tmp.path('data.txt');
    writeFileSync(path, 'ref,syn,status\na,b,ok\n');
    expect((await readReport(path, 'csv')).rows).toHaveLength(1);
  });
});
