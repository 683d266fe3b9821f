/**
 * readScoreTable: the streamed JSONL reader keeps exactly what the full report reader gives,
 * through its fast path (tts-critic's own lines) and its fallback (any other JSONL), including
 * escaped and non-ASCII paths, nulls, failed rows, duplicates, a cut-short last line and a
 * chunk boundary inside a line.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readScoreTable, tableFromReport } from '../../src/quality/score-table.js';
import { parseReport } from '../../src/report/read.js';
import { jsonl, keyOf, randomSource, rowFor } from '../helpers/compare-reports.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const METRICS = ['fm', 'mel_l1', 'mel_dtw', 'gen'];
let dir: string;
beforeAll(() => {
  dir = tempDir('score-table');
});
afterAll(() => removeDir(dir));

function plain(table: Awaited<ReturnType<typeof readScoreTable>>) {
  return {
    keys: table.keys,
    refs: table.refs,
    ok: Array.from(table.ok),
    values: Object.fromEntries([...table.values].map(([m, v]) => [m, Array.from(v)])),
    present: [...table.present].sort(),
    models: table.models,
  };
}

test('the streamed table equals the one from the full reader', async () => {
  const r = randomSource(1);
  const rows = Array.from({ length: 3000 }, (_, i) =>
    rowFor(keyOf(i), i % 97 === 5 ? null : { fm: r.uniform() * 3, mel_l1: i % 13 === 0 ? (null as unknown as number) : -r.uniform() * 1e-7, mel_dtw: 1e21 * r.uniform() }),
  );
  // Awkward paths: quotes, backslashes, commas, "fm": inside a value, non-ASCII.
  rows.push({ ...rowFor('x', { fm: 1, mel_l1: 2, mel_dtw: 3 }), syn: 'syn/a "q",\\"fm":9\\\\.wav', ref: 'ref/ä ü 日本.wav' });
  rows.push({ ...rowFor('y', { fm: 1, mel_l1: 2, mel_dtw: 3 }), syn: '' }); // keyed by ref
  rows.push(rowFor(keyOf(7), { fm: 42, mel_l1: 1, mel_dtw: 1 })); // a duplicate replaces the first
  const text = jsonl(rows);
  const file = path.join(dir, 'r.jsonl');
  writeFileSync(file, text);
  const streamed = await readScoreTable(file, METRICS);
  const whole = tableFromReport(parseReport(text, 'jsonl', file), METRICS);
  expect(plain(streamed)).toEqual(plain(whole));
  expect(streamed.values.get('fm')![7]).toBe(42);
  expect(streamed.keys).toContain('syn/a "q",\\"fm":9\\\\.wav');
});

test('other JSONL (spaces, other key order, no newline at the end) goes through the fallback', async () => {
  const lines = [
    '{ "syn": "b.wav", "ref": "rb.wav", "status": "ok", "fm": 1.5, "mel_l1": null }',
    '{"status":"ok","syn":"c.wav","ref":"rc.wav","fm":2}',
  ];
  const file = path.join(dir, 'other.jsonl');
  writeFileSync(file, lines.join('\n'));
  const table = await readScoreTable(file, ['fm', 'mel_l1']);
  expect(table.keys).toEqual(['b.wav', 'c.wav']);
  expect(Array.from(table.values.get('fm')!)).toEqual([1.5, 2]);
  expect(table.present.has('mel_l1')).toBe(false);
});

test('a cut-short last line is dropped and said; a bad value is a usage error with its line', async () => {
  const good = jsonl([rowFor('a', { fm: 1, mel_l1: 1, mel_dtw: 1 })]);
  const cut = path.join(dir, 'cut.jsonl');
  writeFileSync(cut, `${good}{"ref":"r","syn":"s","sta`);
  const table = await readScoreTable(cut, ['fm']);
  expect(table.keys).toHaveLength(1);
  expect(table.partialLine).toBe(true);
  const bad = path.join(dir, 'bad.jsonl');
  writeFileSync(bad, `${good}${good.replace(/"fm":[^,]+/, '"fm":"x"')}`);
  await expect(readScoreTable(bad, ['fm'])).rejects.toThrow(/bad\.jsonl: line 2: "fm" must be a number or null, got "x"/);
  const notReport = path.join(dir, 'not.jsonl');
  writeFileSync(notReport, '{"a":1}\n');
  await expect(readScoreTable(notReport, ['fm'])).rejects.toThrow(/does not look like a tts-critic report/);
});

test('lines longer than a read chunk (64 KiB) are joined across chunks', async () => {
  const long = { ...rowFor('long', { fm: 7, mel_l1: 1, mel_dtw: 1 }), error: 'e'.repeat(1_500_000) };
  const file = path.join(dir, 'long.jsonl');
  writeFileSync(file, jsonl([rowFor('a', { fm: 1, mel_l1: 1, mel_dtw: 1 }), long]));
  const table = await readScoreTable(file, ['fm']);
  expect(Array.from(table.values.get('fm')!)).toEqual([1, 7]);
});
