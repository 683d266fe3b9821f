/** Fuzz target: the csv report reader (--baseline, merge, report). Rows or a UsageError. */
import { parseReport } from '../../dist/report/read.js';
import { UsageError } from '../../dist/errors.js';
import { check, expectTyped, text, withinSync } from './contract.mjs';

export function fuzz(data) {
  withinSync(data.length, () => {
    try {
      const report = parseReport(text(data), 'csv', 'fuzz.csv');
      check(Array.isArray(report.rows) && Array.isArray(report.columns), 'no rows or columns');
      for (const row of report.rows) for (const column of report.columns) check(column in row, `row without column ${column}`);
    } catch (error) {
      expectTyped(error, UsageError);
    }
  });
}
