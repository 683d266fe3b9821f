/**
 * Fuzz target: CSV records rendered straight from JSON record text (merge to CSV), against the
 * parsing path. Each line that parses and passes the record check must render to a CSV record
 * that reads back to the same cells as the parsed row (or be left to the parser, -1), within
 * its room, and give the same row minus the per-layer cells. Lines that do not parse are what
 * merge refuses before rendering; for them render must only stay bounded.
 */
import { CsvFromJson } from '../../dist/report/csv-from-json.js';
import { csvText } from '../../dist/report/csv.js';
import { csvParse } from '../../dist/report/csv-parse.js';
import { parseDecimal } from '../../dist/report/numbers.js';
import { ColumnCollector, rowFromJsonRecord } from '../../dist/report/json.js';
import { isTextColumn, layerColumn } from '../../dist/report/columns.js';
import { check, text, withinSync } from './contract.mjs';

/** A cell as it reads back from a UTF-8 file: lone surrogates become U+FFFD. */
const asWritten = (value) => (typeof value === 'string' ? Buffer.from(value).toString() : value);

/** The row's own cell, or what a missing one is written as (a `__proto__` column is never a row's own). */
const cellOf = (row, column) => (Object.hasOwn(row, column) ? row[column] : isTextColumn(column) ? '' : null);

export function fuzz(data) {
  withinSync(data.length, () => {
    const lines = text(data).split('\n');
    const collector = new ColumnCollector();
    const checked = [];
    for (const line of lines) {
      let record;
      try {
        record = JSON.parse(line);
        checked.push({ line, record, row: rowFromJsonRecord(record, 'fuzz', collector) });
      } catch {
        // Not a record merge would take.
      }
    }
    const columns = collector.columns;
    // One column's empty record would read back as an empty line; a report has three or more.
    if (columns.length < 2) return;
    const renderer = new CsvFromJson(columns);
    for (const { line, record, row } of checked) {
      const input = Buffer.from(line);
      const out = Buffer.alloc(renderer.room(input.length));
      const end = renderer.render(input, 0, input.length, out, 0);
      if (end < 0) continue;
      // Read back cell by cell as the CSV report reader does (csv.ts, parseCell).
      const cells = csvParse()(out.toString('utf8', 0, end), { relax_column_count: false });
      check(cells.length === 1 && cells[0].length === columns.length, `rendered ${JSON.stringify(out.toString('utf8', 0, end))}: not one record of ${columns.length} cells`);
      columns.forEach((column, i) => {
        const cell = cells[0][i];
        const got = isTextColumn(column) ? csvText(cell) : cell === '' ? null : parseDecimal(cell);
        const want = asWritten(cellOf(row, column) ?? (isTextColumn(column) ? '' : null));
        check(Object.is(got, want), `column ${column}: ${JSON.stringify(got)} read back, ${JSON.stringify(want)} parsed`);
      });
      const scalars = renderer.scalarRow(input, 0, input.length);
      const layers = record['fm_layers'] ?? {};
      for (const column of columns) {
        if (column === '__proto__') continue; // no row holds it as its own cell, on either path
        const fromLayers = Object.entries(layers).some(([sub, values]) => values.some((_, i) => layerColumn(sub, i) === column));
        const want = fromLayers ? undefined : (cellOf(row, column) ?? (isTextColumn(column) ? '' : null));
        check(Object.is(Object.hasOwn(scalars, column) ? scalars[column] : undefined, want), `row cell ${column}: ${JSON.stringify(scalars[column])}, parsed ${JSON.stringify(want)}`);
      }
    }
    // Bytes that are not a checked record: refused or rendered, never a hang or a crash.
    for (const line of lines) {
      const input = Buffer.from(line);
      try {
        renderer.render(input, 0, input.length, Buffer.alloc(renderer.room(input.length)), 0);
      } catch (error) {
        // An escape that JSON.parse rejects inside a string the scanner took: only SyntaxError.
        if (!(error instanceof SyntaxError)) throw error;
      }
    }
  });
}
