/**
 * csv-parse, loaded on first use: only reading a report or a --pairs manifest needs it, and
 * scoring should not pay its start-up.
 */
import { createRequire } from 'node:module';
import type { parse } from 'csv-parse/sync';

let loaded: typeof parse | undefined;

export function csvParse(): typeof parse {
  return (loaded ??= (createRequire(import.meta.url)('csv-parse/sync') as { parse: typeof parse }).parse);
}
