/**
 * Reads any report back (CSV, JSON document, JSONL) into rows keyed by column name with numbers
 * parsed: the input of `merge`, `--baseline` and `--resume`.
 */
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { REQUIRED_COLUMNS, isTextColumn, type CellValue, type Row } from './columns.js';
import { parseCsv } from './csv.js';
import { parseJsonDocument } from './json.js';
import { parseJsonl } from './jsonl.js';
import { formatFromPath, type ReadableFormat } from './formats.js';
import { openReport } from './read-stream.js';

export { formatFromPath };

export interface ReportData {
  /** Where it came from (a path, or a name given by the caller), for messages. */
  readonly source: string;
  readonly format: ReadableFormat;
  /** Columns in file order; per-layer columns `fm_<sub>_<i>` when the file has them. */
  readonly columns: readonly string[];
  /** One per record; every row has every column (missing numbers null, missing text ''). */
  readonly rows: readonly Row[];
  /** The full model description (JSON documents only; CSV/JSONL carry `family`/`weights` per row). */
  readonly model: ModelInfo | null;
  /** JSONL: an unterminated record cut short at the end was dropped. */
  readonly partialLine: boolean;
}

/**
 * The format of report text without a telling extension. CSV does not start with `{`; a JSONL
 * file's first line is a whole record; a JSON document's first line is a whole object only when
 * the document is on one line (then it has `tool` and `files`), otherwise it does not parse alone.
 */
export function sniffFormat(text: string): ReadableFormat {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (!body.startsWith('{')) return 'csv';
  try {
    const first = JSON.parse(body.split('\n', 1)[0]!) as unknown;
    if (typeof first === 'object' && first !== null) return 'tool' in first && 'files' in first ? 'json' : 'jsonl';
  } catch {
    // The first line alone is not JSON: a document spread over lines.
  }
  return 'json';
}

/** Fills absent columns so every row has every column, and checks the report's required columns. */
function normalize(source: string, columns: readonly string[], rows: readonly Row[]): Row[] {
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0 && rows.length > 0) {
    throw new UsageError(`${source} does not look like a tts-critic report: no ${missing.map((c) => `"${c}"`).join(', ')} column`);
  }
  return rows.map((row) => {
    if (columns.every((column) => column in row)) return row;
    const full: Record<string, CellValue> = {};
    for (const column of columns) full[column] = row[column] ?? (isTextColumn(column) ? '' : null);
    return full;
  });
}

/** Parses report text of a known format. */
export function parseReport(text: string, format: ReadableFormat, source: string): ReportData {
  switch (format) {
    case 'csv': {
      const { columns, rows } = parseCsv(text, source);
      return { source, format, columns, rows: normalize(source, columns, rows), model: null, partialLine: false };
    }
    case 'jsonl': {
      const { columns, rows, partialLine } = parseJsonl(text, source);
      return { source, format, columns, rows: normalize(source, columns, rows), model: null, partialLine };
    }
    case 'json': {
      const { columns, rows, model } = parseJsonDocument(text, source);
      return { source, format, columns, rows: normalize(source, columns, rows), model, partialLine: false };
    }
  }
}

/**
 * Reads a whole report file into rows (see `openReport` in read-stream.ts for reading one
 * record at a time, which the CLI uses). The format comes from the extension (`.csv`, `.json`,
 * `.jsonl`, `.ndjson`) or, failing that, from the content. A view (`.html`, `.xml`, `.md`) is
 * refused. Unreadable or malformed files are UsageErrors.
 */
export async function readReport(path: string, format?: ReadableFormat): Promise<ReportData> {
  const stream = await openReport(path, format);
  const rows: Row[] = [];
  for await (const row of stream.rows()) rows.push(row);
  return {
    source: path,
    format: stream.format,
    columns: stream.columns,
    rows: normalize(path, stream.columns, rows),
    model: stream.model,
    partialLine: stream.partialLine,
  };
}
