/**
 * CSV rows: header + one line per record. Quoting is left to csv-stringify / csv-parse so paths
 * with commas, quotes, newlines and any Unicode survive a round trip.
 */
import { stringify } from 'csv-stringify/sync';
import { csvParse } from './csv-parse.js';
import { UsageError, messageOf } from '../errors.js';
import { REQUIRED_COLUMNS, isTextColumn, type CellValue, type Row } from './columns.js';
import type { Formatter } from './formatter.js';
import { parseDecimal } from './numbers.js';

/**
 * CSV formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, and file names and messages come
 * from whoever named the files. Such text cells are written with a single quote in front, which
 * spreadsheets show as plain text; a cell that already starts with quotes before one of those
 * characters gets one more, so that `csvText` undoes exactly what was added and reading a report
 * back (`--baseline`, `merge`, `--resume`) gives the names as they were. Numbers are written as
 * numbers (`-0.5` stays `-0.5`); JSON and JSONL keep every value raw.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** A text value as a CSV cell, neutralised against formula injection. */
export function csvSafeText(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The text value of a CSV cell written by csvSafeText. */
export function csvText(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell) ? cell.slice(1) : cell;
}

/** The header line, ending in '\n'. */
export function csvHeader(columns: readonly string[]): string {
  return stringify([columns as string[]]);
}

/** A field as csv-stringify writes it with its defaults: quoted (quotes doubled) only when it holds `"`, `,`, LF or CR. */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A text value as csvLine writes it: the formula guard, then quotes where needed. */
export function csvCell(text: string): string {
  return csvField(csvSafeText(text));
}

/**
 * One record as one CSV record (possibly spanning lines when a path holds a newline), ending in
 * '\n'. The same text csv-stringify makes (the header still goes through it), built directly:
 * a million-row merge spends its time here.
 */
export function csvLine(row: Row, columns: readonly string[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ',';
    const value = row[columns[i]!];
    // Numbers in JavaScript's shortest round-trip form (`+= number` is String(number), without
    // a call per cell), which reads back to the identical float64; null and non-finite are empty.
    if (typeof value === 'number') {
      if (Number.isFinite(value)) line += value;
    } else if (typeof value === 'string') {
      line += csvCell(value);
    }
  }
  return `${line}\n`;
}

export interface ParsedRows {
  readonly columns: string[];
  readonly rows: Row[];
}

/** A numeric or text cell from its CSV text: empty numeric cells are null. */
function parseCell(column: string, text: string, where: () => string): CellValue {
  if (isTextColumn(column)) return csvText(text);
  if (text === '') return null;
  const value = parseDecimal(text);
  if (value === null) throw new UsageError(`${where()}, column "${column}": expected a number, got "${text}"`);
  return value;
}

/** Parses a whole CSV report (header first). `source` names the file in error messages. */
export function parseCsv(text: string, source: string): ParsedRows {
  let records: string[][];
  try {
    records = csvParse()(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw new UsageError(`cannot read ${source} as CSV: ${messageOf(error)}`);
  }
  const [header, ...body] = records;
  if (!header) return { columns: [], rows: [] };
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new UsageError(`${source} does not look like a tts-critic report: no ${missing.map((c) => `"${c}"`).join(', ')} column`);
  }
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) throw new UsageError(`cannot read ${source}: column "${column}" appears twice in the header`);
    seen.add(column);
  }
  const rows = body.map((record, index) => {
    const row: Record<string, CellValue> = {};
    header.forEach((column, i) => {
      row[column] = parseCell(column, record[i] ?? '', () => `${source}: record ${index + 1}`);
    });
    return row;
  });
  return { columns: [...header], rows };
}

/** CSV: the header, then one record per row as it comes. */
export const csvFormatter: Formatter = {
  head: (frame) => csvHeader(frame.columns),
  record: (row, _index, frame) => csvLine(row, frame.columns),
};
