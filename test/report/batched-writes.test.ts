/** `batchWrites`: the same bytes as writing each record, fewer writes, whole records on abort. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { leftoverTempFiles } from '../../src/report/sink.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import { makeModel, okResult, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const model = makeModel();

function write(format: ReportFormat, output: string, batch: boolean, n: number) {
  const writer = createReportWriter({ format, output, model, version: '0.1.0', batchWrites: batch });
  for (let i = 0; i < n; i++) writer.write(okResult(`out/u${i}.wav`, i / n));
  return writer;
}

describe.each<ReportFormat>(['csv', 'json', 'jsonl', 'html'])('batched %s writes', (format) => {
  it('give the same file as writing each record', async () => {
    // More than one batch of 64 KiB.
    const one = write(format, tmp.path(`one.${format}`), false, 600);
    const many = write(format, tmp.path(`many.${format}`), true, 600);
    await one.finish(one.summary());
    await many.finish(one.summary());
    expect(readFileSync(tmp.path(`many.${format}`), 'utf8')).toBe(readFileSync(tmp.path(`one.${format}`), 'utf8'));
  });
});

describe('batched writes', () => {
  it('hold records back until a batch is full, and write them once batching stops', () => {
    const output = tmp.path('run.jsonl');
    const writer = write('jsonl', output, true, 3);
    const temp = writer.tempPath!;
    expect(readFileSync(temp, 'utf8')).toBe('');
    writer.batchWrites(false);
    expect(readFileSync(temp, 'utf8').split('\n')).toHaveLength(4);
    // Off: each record goes out as it comes.
    writer.write(okResult('out/late.wav', 0.5));
    expect(readFileSync(temp, 'utf8')).toContain('out/late.wav');
    void writer.discard();
  });

  it('an abort writes the held records, whole', async () => {
    const output = tmp.path('run.jsonl');
    const writer = write('jsonl', output, true, 5);
    await writer.abort();
    const lines = readFileSync(output, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(leftoverTempFiles(output)).toEqual([]);
  });

  it('a discard writes nothing', async () => {
    const output = tmp.path('run.csv');
    const writer = write('csv', output, true, 5);
    await writer.discard();
    expect(existsSync(output)).toBe(false);
    expect(leftoverTempFiles(output)).toEqual([]);
  });
});
