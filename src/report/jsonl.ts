/**
 * JSONL: one JSON record per line. The writer emits each line (record + '\n') with a single
 * write, so a file only ever ends in the middle of a line when the writing process was killed
 * during that write; the reader therefore drops an unterminated last line that does not parse.
 */
import { UsageError } from '../errors.js';
import type { Row } from './columns.js';
import type { Formatter } from './formatter.js';
import { ColumnCollector, rowFromJsonRecord, toJsonRecord } from './json.js';

export function jsonlLine(row: Row, columns: readonly string[], subs: readonly string[]): string {
  return `${JSON.stringify(toJsonRecord(row, columns, subs))}\n`;
}

export interface ParsedJsonl {
  readonly columns: string[];
  readonly rows: Row[];
  /** True when an unterminated, unparsable last line (a record cut short) was dropped. */
  readonly partialLine: boolean;
}

export function parseJsonl(text: string, source: string): ParsedJsonl {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  // After the final '\n' split leaves '' (complete file) or the unterminated tail.
  const tail = lines.pop() ?? '';
  const collector = new ColumnCollector();
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`cannot read ${source}: line ${i + 1} is not JSON (${(error as Error).message})`);
    }
    rows.push(rowFromJsonRecord(value, `${source}: line ${i + 1}`, collector));
  });
  let partialLine = false;
  if (tail.trim() !== '') {
    // A last line without '\n' is kept when it is a whole record (a file from another tool
    // without the final newline) and dropped when it is a record cut short.
    let value: unknown;
    let parsed = false;
    try {
      value = JSON.parse(tail);
      parsed = true;
    } catch {
      partialLine = true;
    }
    if (parsed) rows.push(rowFromJsonRecord(value, `${source}: line ${lines.length + 1}`, collector));
  }
  return { columns: collector.columns, rows, partialLine };
}

/** JSONL: one record per line as it comes, nothing else. */
export const jsonlFormatter: Formatter = {
  record: (row, _index, frame) => jsonlLine(row, frame.columns, frame.subs),
};
