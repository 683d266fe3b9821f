/**
 * CSV formula injection (OWASP "CSV Injection"): text cells that a spreadsheet would run as a
 * formula get a single quote in front; numbers and ordinary names are written as before; the
 * report reader undoes the quote, so --baseline, merge and --resume see the names as they were;
 * JSON and JSONL keep the raw values.
 */
import { csvLine, csvSafeText, csvText, parseCsv } from '../../src/report/csv.js';
import type { Row } from '../../src/report/columns.js';

const COLUMNS = ['ref', 'syn', 'status', 'error', 'fm', 'offset_ms', 'warning'];

function row(ref: string, syn: string, fm: number | null = -0.5): Row {
  return { ref, syn, status: 'ok', error: '', fm, offset_ms: -12.5, warning: '' };
}

it('prefixes a quote to text cells starting with = + - @ tab or CR, and to cells already quoted before one', () => {
  for (const [raw, safe] of [
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ["'=x", "''=x"],
    ["''-x", "'''-x"],
  ]) {
    expect(csvSafeText(raw!)).toBe(safe);
    expect(csvText(safe!)).toBe(raw);
  }
  for (const plain of ['a.wav', 'ref/-x.wav', "'quoted.wav", "it's.wav", '', 'x=1', 'a-b']) {
    expect(csvSafeText(plain)).toBe(plain);
    expect(csvText(plain)).toBe(plain);
  }
});

it('writes names starting like formulas neutralised, numbers (also negative) untouched', () => {
  const line = csvLine(row('=cmd|calc!A1.wav', '-syn.wav'), COLUMNS);
  expect(line).toBe(`'=cmd|calc!A1.wav,'-syn.wav,ok,,-0.5,-12.5,\n`);
  expect(csvLine(row('ref/a.wav', 'syn/a.wav'), COLUMNS)).toBe('ref/a.wav,syn/a.wav,ok,,-0.5,-12.5,\n');
});

it('reads the written names back exactly', () => {
  const names = ['=1+1.wav', '+a.wav', '-b.wav', '@c.wav', "'=d.wav", 'plain.wav', '\te.wav'];
  const text = ['ref,syn,status,error,fm,offset_ms,warning\n', ...names.map((n) => csvLine(row(n, n), COLUMNS))].join('');
  const parsed = parseCsv(text, 'report.csv');
  expect(parsed.rows.map((r) => r['ref'])).toEqual(names);
  expect(parsed.rows.map((r) => r['fm'])).toEqual(names.map(() => -0.5));
});
