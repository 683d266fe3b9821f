/** A JSONL report cut at any byte reads back as exactly its complete lines. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../src/errors.js';
import { parseJsonl } from '../../src/report/jsonl.js';
import { createReportWriter } from '../../src/report/writer.js';
import { failedResult, makeModel, okResult, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function sampleBytes(): Promise<Buffer> {
  const output = tmp.path('out.jsonl');
  const writer = createReportWriter({ format: 'jsonl', output, model: makeModel(), version: '0.1.0' });
  writer.write(okResult('out/ünï 😀.wav', 0.5));
  writer.write(failedResult('out/b\n.wav', 'bad "file"'));
  writer.write(okResult('out/c.wav', 0.25));
  await writer.finish();
  return readFileSync(output);
}

describe('parseJsonl', () => {
  it('tolerates a cut-short last line at every byte offset, and only there', async () => {
    const bytes = await sampleBytes();
    const lineEnds: number[] = [];
    bytes.forEach((byte, i) => {
      if (byte === 0x0a) lineEnds.push(i + 1);
    });
    expect(lineEnds).toHaveLength(3);
    for (let cut = 0; cut <= bytes.length; cut++) {
      // Decoding a cut multi-byte character gives U+FFFD, as reading a killed writer's file would.
      const text = bytes.subarray(0, cut).toString('utf8');
      // Cut just before a '\n', the last record is whole JSON and is kept.
      const whole = lineEnds.filter((end) => end <= cut + 1).length;
      const cutShort = cut !== 0 && !lineEnds.includes(cut) && !lineEnds.includes(cut + 1);
      const { rows, partialLine } = parseJsonl(text, 'cut.jsonl');
      expect([cut, rows.length]).toEqual([cut, whole]);
      expect([cut, partialLine]).toEqual([cut, cutShort]);
      expect(rows.map((r) => r['syn'])).toEqual(['out/ünï 😀.wav', 'out/b\n.wav', 'out/c.wav'].slice(0, whole));
    }
  });

  it('keeps a whole last record without its final newline', () => {
    const { rows, partialLine } = parseJsonl('{"ref":"a","syn":"b","status":"ok","fm":1}\n{"ref":"c","syn":"d","status":"ok","fm":2}', 'x');
    expect(rows.map((r) => r['fm'])).toEqual([1, 2]);
    expect(partialLine).toBe(false);
  });

  it('rejects a damaged line that is not the last one, naming it', () => {
    expect(() => parseJsonl('{"ref":"a","syn":"b","status":"ok"}\n{"ref":\n{"ref":"c","syn":"d","status":"ok"}\n', 'x.jsonl')).toThrow(
      /x\.jsonl: line 2 is not JSON/,
    );
    expect(() => parseJsonl('{"ref":"a","syn":"b","status":"ok"}\n{"ref":\n', 'x.jsonl')).toThrow(UsageError);
  });

  it('skips blank lines and accepts CRLF line ends', () => {
    const { rows } = parseJsonl('{"ref":"a","syn":"b","status":"ok","fm":1}\r\n\r\n{"ref":"c","syn":"d","status":"ok","fm":null}\r\n', 'x');
    expect(rows.map((r) => r['fm'])).toEqual([1, null]);
  });

  it('rejects wrongly typed cells', () => {
    expect(() => parseJsonl('{"ref":"a","syn":"b","status":"ok","fm":"0.5"}\n', 'x.jsonl')).toThrow(/"fm" must be a number or null/);
    expect(() => parseJsonl('{"ref":1,"syn":"b","status":"ok"}\n', 'x.jsonl')).toThrow(/"ref" must be a string/);
    expect(() => parseJsonl('{"ref":"a","syn":"b","status":"ok","fm_layers":{"s":"x"}}\n', 'x.jsonl')).toThrow(/fm_layers\.s/);
    expect(() => parseJsonl('[1,2]\n', 'x.jsonl')).toThrow(/expected a JSON object/);
  });
});
