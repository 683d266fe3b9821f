/**
 * The output formats: one `Formatter` module each. `score`, `merge` and `report` write any of
 * them (`--format`, or the `-o` extension); only CSV, JSON and JSONL can be read back (`merge`,
 * `report`, `--baseline`, `--resume`), the others are views.
 */
import { extname } from 'node:path';
import { csvFormatter } from './csv.js';
import type { Formatter } from './formatter.js';
import { htmlFormatter } from './html.js';
import { jsonFormatter } from './json.js';
import { jsonlFormatter } from './jsonl.js';
import { junitFormatter } from './junit.js';
import { markdownFormatter } from './markdown.js';

export const REPORT_FORMATS = ['csv', 'json', 'jsonl', 'html', 'junit', 'markdown'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The formats a report can be read back from. */
export const READABLE_FORMATS = ['csv', 'json', 'jsonl'] as const;
export type ReadableFormat = (typeof READABLE_FORMATS)[number];

export const FORMATTERS: Readonly<Record<ReportFormat, Formatter>> = {
  csv: csvFormatter,
  json: jsonFormatter,
  jsonl: jsonlFormatter,
  html: htmlFormatter,
  junit: junitFormatter,
  markdown: markdownFormatter,
};

const EXTENSIONS: Readonly<Record<string, ReportFormat>> = {
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.html': 'html',
  '.htm': 'html',
  '.xml': 'junit',
  '.md': 'markdown',
  '.markdown': 'markdown',
};

/** The format a path's extension names, or null (`.ndjson` is JSONL, `.xml` JUnit, `.md` Markdown). */
export function formatFromPath(path: string): ReportFormat | null {
  return EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

export function isReadableFormat(format: ReportFormat): format is ReadableFormat {
  return (READABLE_FORMATS as readonly string[]).includes(format);
}
