/** Atomic file output, abort semantics per format, and streaming to a stream. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { UsageError } from '../../src/errors.js';
import { parseReport, readReport } from '../../src/report/read.js';
import { leftoverTempFiles } from '../../src/report/sink.js';
import { resultToRow } from '../../src/report/rows.js';
import { csvLine } from '../../src/report/csv.js';
import { createReportWriter, type ReportFormat } from '../../src/report/writer.js';
import { failedResult, makeModel, okResult, tempDir } from './helpers.js';

const model = makeModel();
const FORMATS: ReportFormat[] = ['csv', 'json', 'jsonl'];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe.each(FORMATS)('%s to a file', (format) => {
  it('writes to a hidden temp file in the same folder and renames only on finish', async () => {
    const output = tmp.path(`out.${format}`);
    const writer = createReportWriter({ format, output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    const temp = writer.tempPath!;
    expect(dirname(temp)).toBe(tmp.dir);
    expect(existsSync(temp)).toBe(true);
    expect(existsSync(output)).toBe(false);
    writer.write(okResult('out/b.wav', 0.25));
    await writer.finish();
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual([`out.${format}`]);
    expect((await readReport(output)).rows.map((r) => r['syn'])).toEqual(['out/a.wav', 'out/b.wav']);
  });

  it('keeps the previous output whole until the new one is complete', async () => {
    const output = tmp.path(`out.${format}`);
    writeFileSync(output, 'previous report');
    const writer = createReportWriter({ format, output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    expect(readFileSync(output, 'utf8')).toBe('previous report');
    await writer.finish();
    expect(readFileSync(output, 'utf8')).not.toBe('previous report');
  });

  it('on abort leaves a complete, readable file with the records finished so far', async () => {
    const output = tmp.path(`out.${format}`);
    const writer = createReportWriter({ format, output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    writer.write(failedResult('out/b.wav', 'bad'));
    await writer.abort();
    expect(readdirSync(tmp.dir)).toEqual([`out.${format}`]);
    const data = await readReport(output);
    expect(data.rows.map((r) => r['syn'])).toEqual(['out/a.wav', 'out/b.wav']);
    expect(data.partialLine).toBe(false);
    if (format === 'json') {
      const doc = JSON.parse(readFileSync(output, 'utf8'));
      expect(doc.summary).toMatchObject({ files: 2, ok: 1, error: 1, interrupted: true });
    }
    // Later calls are no-ops (a second signal, or finish racing a signal).
    await writer.abort();
    expect(() => writer.write(okResult('out/c.wav', 0.1))).toThrow(/aborted/);
  });

  it('on abort with nothing written leaves the previous output (or nothing) in place', async () => {
    const fresh = tmp.path(`fresh.${format}`);
    await createReportWriter({ format, output: fresh, model, version: '0.1.0' }).abort();
    expect(existsSync(fresh)).toBe(false);
    const previous = tmp.path(`previous.${format}`);
    writeFileSync(previous, 'good old report');
    await createReportWriter({ format, output: previous, model, version: '0.1.0' }).abort();
    expect(readFileSync(previous, 'utf8')).toBe('good old report');
    expect(readdirSync(tmp.dir).sort()).toEqual([`previous.${format}`]);
  });

  it('finish with no records writes a complete empty report', async () => {
    const output = tmp.path(`empty.${format}`);
    await createReportWriter({ format, output, model, version: '0.1.0' }).finish();
    expect((await readReport(output)).rows).toEqual([]);
  });

  it('abort after finish changes nothing; finish twice and write after finish are errors', async () => {
    const output = tmp.path(`out.${format}`);
    const writer = createReportWriter({ format, output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    await writer.finish();
    const text = readFileSync(output, 'utf8');
    await writer.abort();
    expect(readFileSync(output, 'utf8')).toBe(text);
    await expect(writer.finish()).rejects.toThrow(/finished/);
    expect(() => writer.write(okResult('out/b.wav', 0.5))).toThrow(/finished/);
  });

  it('writes initial rows (resume) before new ones', async () => {
    const output = tmp.path(`out.${format}`);
    const initialRows = [resultToRow(okResult('out/old.wav', 0.5), model)];
    const writer = createReportWriter({ format, output, model, version: '0.1.0', initialRows });
    expect(writer.count).toBe(1);
    writer.write(okResult('out/new.wav', 0.5));
    await writer.finish();
    expect((await readReport(output)).rows.map((r) => r['syn'])).toEqual(['out/old.wav', 'out/new.wav']);
  });
});

describe('a writer killed outright (no finish, no abort)', () => {
  it('leaves only its temp file, which for JSONL reads back as whole records', async () => {
    const output = tmp.path('out.jsonl');
    writeFileSync(tmp.path('.other.jsonl.1-00000000.tmp'), 'not ours');
    const writer = createReportWriter({ format: 'jsonl', output, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    writer.write(okResult('out/b.wav', 0.5));
    // Simulate SIGKILL: nothing else happens. The final path does not exist.
    expect(existsSync(output)).toBe(false);
    const leftovers = leftoverTempFiles(output);
    expect(leftovers).toEqual([writer.tempPath]);
    const data = await readReport(leftovers[0]!, 'jsonl');
    expect(data.rows.map((r) => r['syn'])).toEqual(['out/a.wav', 'out/b.wav']);
    await writer.abort();
    expect(leftoverTempFiles(output)).toEqual([]);
  });
});

describe('file output errors', () => {
  it('refuses a folder that does not exist or an output that is a folder, as usage errors', () => {
    expect(() => createReportWriter({ format: 'csv', output: tmp.path('no/such/dir/out.csv'), model, version: '0' })).toThrow(UsageError);
    mkdirSync(tmp.path('adir'));
    expect(() => createReportWriter({ format: 'csv', output: tmp.path('adir'), model, version: '0' })).toThrow(/is a directory/);
  });
});

/** A stream that records each chunk as it arrives. */
function recorder(): { stream: Writable; chunks: string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, chunks };
}

describe('stream output', () => {
  it('JSONL: one whole line per write, as each pair finishes', async () => {
    const { stream, chunks } = recorder();
    const writer = createReportWriter({ format: 'jsonl', stream, model, version: '0.1.0' });
    expect(chunks).toEqual([]);
    writer.write(okResult('out/a.wav', 0.5));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(chunks[0]!).syn).toBe('out/a.wav');
    writer.write(okResult('out/b.wav', 0.5));
    expect(chunks).toHaveLength(2);
    await writer.finish();
    expect(chunks).toHaveLength(2);
    expect(writer.path).toBeNull();
  });

  it('CSV: the header first, then one record per write', async () => {
    const { stream, chunks } = recorder();
    const writer = createReportWriter({ format: 'csv', stream, model, version: '0.1.0' });
    expect(chunks[0]!.startsWith('ref,syn,status,error,')).toBe(true);
    writer.write(okResult('out/a.wav', 0.5));
    await writer.finish();
    expect(parseReport(chunks.join(''), 'csv', 'stdout').rows).toHaveLength(1);
  });

  it('JSON: abort still closes the document, marked interrupted', async () => {
    const { stream, chunks } = recorder();
    const writer = createReportWriter({ format: 'json', stream, model, version: '0.1.0' });
    writer.write(okResult('out/a.wav', 0.5));
    await writer.abort();
    const doc = JSON.parse(chunks.join(''));
    expect(doc.files).toHaveLength(1);
    expect(doc.summary.interrupted).toBe(true);
  });

  it('stops writing quietly when the reader goes away (EPIPE), and does not end the stream', async () => {
    const stream = new PassThrough();
    const writer = createReportWriter({ format: 'jsonl', stream, model, version: '0.1.0' });
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    stream.emit('error', epipe);
    writer.write(okResult('out/a.wav', 0.5));
    await expect(writer.finish()).resolves.toBeUndefined();
    expect(stream.writableEnded).toBe(false);
  });

  it('reports other stream errors from finish', async () => {
    const stream = new PassThrough();
    const writer = createReportWriter({ format: 'jsonl', stream, model, version: '0.1.0' });
    stream.emit('error', Object.assign(new Error('disk on fire'), { code: 'EIO' }));
    await expect(writer.finish()).rejects.toThrow(/disk on fire/);
  });
});

describe('writeRow without a model (merge)', () => {
  it('writes rows with an explicit column list; the JSON model is null', async () => {
    const output = tmp.path('merged.json');
    const row = resultToRow(okResult('out/a.wav', 0.5), model);
    const columns = Object.keys(row);
    const writer = createReportWriter({ format: 'json', output, model: null, columns, version: '0.1.0' });
    expect(() => writer.write(okResult('out/b.wav', 0.5))).toThrow(/model/);
    writer.writeRow(row);
    await writer.finish();
    const data = await readReport(output);
    expect(data.model).toBeNull();
    expect(data.rows[0]).toEqual(row);
  });
});

describe('writeRendered (records made elsewhere: merge to CSV)', () => {
  const rows = [resultToRow(okResult('out/a.wav', 0.5), model), resultToRow(failedResult('out/b.wav', 'bad'), model), resultToRow(okResult('out/c.wav', 0.25), model)];
  const columns = Object.keys(rows[0]!);
  const records = (list: typeof rows): Buffer => Buffer.from(list.map((row) => csvLine(row, columns)).join(''));

  it('writes the given CSV text as is, after rows written one by one, and sums up the rows given with it', async () => {
    const output = tmp.path('merged.csv');
    const writer = createReportWriter({ format: 'csv', output, model: null, columns, version: '0.1.0', batchWrites: true });
    writer.writeRow(rows[0]!);
    // Only the cells the summary reads: the text carries the rest.
    writer.writeRendered(rows.slice(1).map((row) => ({ syn: row['syn']!, ref: row['ref']!, status: row['status']!, error: row['error']!, fm: row['fm']! })), records(rows.slice(1)));
    expect(writer.count).toBe(3);
    const summary = writer.summary();
    expect([summary.files, summary.ok, summary.error]).toEqual([3, 2, 1]);
    expect(summary.metrics['fm']!.mean).toBeCloseTo(((rows[0]!['fm'] as number) + (rows[2]!['fm'] as number)) / 2, 12);
    await writer.finish();
    expect(readFileSync(output, 'utf8')).toBe(`${columns.join(',')}\n${records(rows).toString()}`);
  });

  it('copies the text for a stream, so the caller may reuse its buffer', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = createReportWriter({ format: 'csv', stream, model: null, columns, version: '0.1.0' });
    const text = records(rows);
    writer.writeRendered(rows, text);
    text.fill(0x78);
    await writer.finish();
    expect(Buffer.concat(chunks).toString()).toBe(`${columns.join(',')}\n${records(rows).toString()}`);
  });

  it('is refused by a writer of another format, and after finish', async () => {
    const jsonl = createReportWriter({ format: 'jsonl', output: tmp.path('x.jsonl'), model: null, columns, version: '0.1.0' });
    expect(() => jsonl.writeRendered(rows, records(rows))).toThrow(/CSV records, and this writer writes jsonl/);
    await jsonl.discard();
    const csv = createReportWriter({ format: 'csv', output: tmp.path('x.csv'), model: null, columns, version: '0.1.0' });
    await csv.finish();
    expect(() => csv.writeRendered(rows, records(rows))).toThrow(/finished/);
  });
});

describe('lists (which rows the output shows with their baseline changes)', () => {
  it('is the HTML page\'s listed rows, and none for the record formats', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => resultToRow(okResult(`out/${i}.wav`, i / 30), model));
    const columns = Object.keys(rows[0]!);
    const html = createReportWriter({ format: 'html', output: tmp.path('r.html'), model: null, columns, version: '0.1.0', htmlRows: 10 });
    const csv = createReportWriter({ format: 'csv', output: tmp.path('r.csv'), model: null, columns, version: '0.1.0' });
    for (const row of rows) {
      html.writeRow(row);
      csv.writeRow(row);
    }
    const listed = rows.map((row) => row['syn'] as string).filter((key) => html.lists(key));
    expect(listed).toHaveLength(10);
    // The worst by fm are among them.
    expect(listed).toContain('out/29.wav');
    expect(rows.some((row) => csv.lists(row['syn'] as string))).toBe(false);
    await html.discard();
    await csv.discard();
  });
});
