/**
 * `--pairs FILE`: an explicit list of pairs for pipelines, as CSV (header with `ref` and `syn`
 * columns, optional `key`) or JSONL (objects with `ref` and `syn`). Paths are used as given,
 * so relative paths resolve against the current folder.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Parser as CsvParser, Options as CsvOptions } from 'csv-parse';
import { csvParse } from '../report/csv-parse.js';
import { KeyIndex } from '../util/key-index.js';
import { PairList } from './pair-list.js';
import { UsageError } from '../errors.js';
import type { PairSpec } from './discover.js';

type Entry = { ref?: unknown; syn?: unknown; key?: unknown };

let csvModule: { parse: (options: CsvOptions) => CsvParser } | undefined;

/** csv-parse's streaming parser, loaded on first use. */
function csvStreamParser(options: CsvOptions): CsvParser {
  csvModule ??= createRequire(import.meta.url)('csv-parse') as { parse: (options: CsvOptions) => CsvParser };
  return csvModule.parse(options);
}

function looksLikeJsonl(text: string): boolean {
  return text.trimStart().startsWith('{');
}

function parseEntries(text: string, source: string): Entry[] {
  if (looksLikeJsonl(text)) {
    return text.split(/\r?\n/).flatMap((line, i) => (line.trim() === '' ? [] : [jsonlEntry(line, i + 1, source)]));
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

/** Turns manifest entries into pairs, one at a time, noting keys listed twice. */
class PairCollector {
  readonly pairs = new PairList();
  /** The first pair of each key. */
  private readonly seen = new KeyIndex((i) => this.pairs.key(i));

  constructor(
    private readonly source: string,
    private readonly synOnly: boolean,
  ) {}

  add(entry: Entry): void {
    const i = this.pairs.length;
    const ref = this.synOnly ? null : text(entry.ref);
    const syn = text(entry.syn);
    if (!syn && !ref) {
      throw new UsageError(`${this.source}: record ${i + 1} has neither "ref" nor "syn" (expected columns: ref,syn)`);
    }
    const key = text(entry.key) ?? syn ?? ref!;
    // Added first so the index can read its key; a key listed before cannot be: a problem row.
    const duplicate = this.seen.get(key) >= 0;
    this.pairs.push(duplicate ? { key, ref, syn, problem: `the manifest lists "${key}" more than once` } : { key, ref, syn });
    if (!duplicate) this.seen.add(i);
  }

  result(): PairList {
    if (this.pairs.length === 0) throw new UsageError(`${this.source}: the manifest lists no pairs`);
    return this.pairs;
  }
}

const binary = (source: string) => new UsageError(`${source}: not a CSV or JSONL manifest (it holds binary data)`);

/** Parses a manifest. In syn-only mode the `ref` column may be absent. */
export function parseManifest(content: string, source: string, options: { synOnly?: boolean } = {}): PairSpec[] {
  if (content.includes('\u0000')) throw binary(source);
  const pairs = new PairCollector(source, options.synOnly ?? false);
  for (const entry of parseEntries(content, source)) pairs.add(entry);
  return [...pairs.result()];
}

/** The JSON object of one JSONL manifest line (numbered from 1 for messages). */
function jsonlEntry(line: string, number: number, source: string): Entry {
  try {
    const value = JSON.parse(line) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Entry;
  } catch {
    throw new UsageError(`${source}: line ${number} is not a JSON object with "ref" and "syn"`);
  }
}

/**
 * Reads a manifest as it streams in: the pairs `parseManifest` gives for the whole text, as a
 * compact `PairList`, without ever holding the text or a record per pair (a million-pair
 * manifest takes the memory of its paths' characters and little more).
 */
export async function readManifest(input: AsyncIterable<Buffer | string>, source: string, options: { synOnly?: boolean } = {}): Promise<PairList> {
  const pairs = new PairCollector(source, options.synOnly ?? false);
  const texts = (async function* (): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    for await (const chunk of input) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.includes(0)) throw binary(source);
      const piece = decoder.write(bytes);
      if (piece !== '') yield piece;
    }
    const rest = decoder.end();
    if (rest !== '') yield rest;
  })();
  // The format, from the first text that is not blank (as looksLikeJsonl does with the whole).
  let head = '';
  for (;;) {
    const next = await texts.next();
    if (next.done) break;
    head += next.value;
    if (head.trimStart() !== '') break;
  }
  const all = (async function* (): AsyncGenerator<string> {
    if (head !== '') yield head;
    yield* texts;
  })();
  if (looksLikeJsonl(head)) {
    let carry = '';
    let number = 0;
    const take = (line: string): void => {
      number++;
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (body.trim() !== '') pairs.add(jsonlEntry(body, number, source));
    };
    for await (const piece of all) {
      const lines = (carry + piece).split('\n');
      carry = lines.pop()!;
      for (const line of lines) take(line);
    }
    take(carry);
    return pairs.result();
  }
  const parser = csvStreamParser({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  const feed = Readable.from(all);
  let feedError: unknown = null;
  feed.on('error', (error) => {
    feedError = error;
    parser.destroy(error);
  });
  feed.pipe(parser);
  try {
    for await (const entry of parser as AsyncIterable<Entry>) pairs.add(entry);
  } catch (error) {
    if (feedError instanceof UsageError) throw feedError;
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${source}: not a readable CSV manifest (${(error as Error).message})`);
  } finally {
    feed.destroy();
    parser.destroy();
  }
  return pairs.result();
}
