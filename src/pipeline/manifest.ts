/**
 * `--pairs FILE`: an explicit list of pairs for pipelines, as CSV (header with `ref` and `syn`
 * columns, optional `key`) or JSONL (objects with `ref` and `syn`). Paths are used as given,
 * so relative paths resolve against the current folder.
 */
import { csvParse } from '../report/csv-parse.js';
import { UsageError } from '../errors.js';
import type { PairSpec } from './discover.js';

type Entry = { ref?: unknown; syn?: unknown; key?: unknown };

function looksLikeJsonl(text: string): boolean {
  return text.trimStart().startsWith('{');
}

function parseEntries(text: string, source: string): Entry[] {
  if (looksLikeJsonl(text)) {
    return text.split(/\r?\n/).flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        const value = JSON.parse(line) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
        return [value as Entry];
      } catch {
        throw new UsageError(`${source}: line ${i + 1} is not a JSON object with "ref" and "syn"`);
      }
    });
  }
  try {
    return csvParse()(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true }) as Entry[];
  } catch (error) {
    throw new UsageError(`${source}: not a readable CSV manifest (${(error as Error).message})`);
  }
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

/** Parses a manifest. In syn-only mode the `ref` column may be absent. */
export function parseManifest(content: string, source: string, options: { synOnly?: boolean } = {}): PairSpec[] {
  if (content.includes('\u0000')) throw new UsageError(`${source}: not a CSV or JSONL manifest (it holds binary data)`);
  const entries = parseEntries(content, source);
  if (entries.length === 0) throw new UsageError(`${source}: the manifest lists no pairs`);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const ref = options.synOnly ? null : text(entry.ref);
    const syn = text(entry.syn);
    if (!syn && !ref) {
      throw new UsageError(`${source}: record ${i + 1} has neither "ref" nor "syn" (expected columns: ref,syn)`);
    }
    const key = text(entry.key) ?? syn ?? ref!;
    if (seen.has(key)) {
      return { key, ref, syn, problem: `the manifest lists "${key}" more than once` };
    }
    seen.add(key);
    return { key, ref, syn };
  });
}

export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
