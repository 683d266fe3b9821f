/**
 * `--pairs FILE` (CSV, JSONL) and `--pairs -` (stdin) through the CLI (in-process, `main()`):
 * paths relative to the working folder (not to the manifest), records on stdout without -o, the
 * same scores as the folder run, error rows for missing files (exit 3) and usage errors for empty
 * or malformed manifests (exit 2).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  cli,
  csvColumns,
  expectSameRecords,
  messages,
  parseCsvText,
  parseJsonlText,
  pipelineFolder,
  removeDir,
  scoreJsonl,
  type Corpus,
  type Rec,
} from '../helpers/pipeline-fixtures.js';

let root: string;
let corpus: Corpus;
/** The folder run's records, keyed the same way as a manifest run with the same paths. */
let folderRecords: Rec[];

beforeAll(async () => {
  corpus = await pipelineFolder('manifest', { count: 6 });
  root = corpus.root;
  folderRecords = (await scoreJsonl(root)).records;
  expect(folderRecords).toHaveLength(6);
});
afterAll(() => removeDir(root));

function csvManifest(pairs: readonly { ref: string; syn: string }[], eol = '\n'): string {
  return ['ref,syn', ...pairs.map((p) => `${p.ref},${p.syn}`)].join(eol) + eol;
}

function jsonlManifest(pairs: readonly { ref: string; syn: string }[]): string {
  return pairs.map((p) => JSON.stringify({ ref: p.ref, syn: p.syn })).join('\n') + '\n';
}

test('a CSV manifest in a subfolder: paths resolve against the working folder, CSV on stdout', async () => {
  await mkdir(path.join(root, 'lists'), { recursive: true });
  // CRLF line endings, as written on Windows, read the same.
  await writeFile(path.join(root, 'lists', 'pairs.csv'), csvManifest(corpus.pairs, '\r\n'));
  const run = await cli(root, ['score', '--pairs', 'lists/pairs.csv', '-w', 'D.pth', '-q']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(csvColumns(run.stdout).slice(0, 4)).toEqual(['ref', 'syn', 'status', 'error']);
  const records = parseCsvText(run.stdout);
  // Paths exactly as the manifest gives them, in manifest order.
  expect(records.map((r) => [r.ref, r.syn])).toEqual(corpus.pairs.map((p) => [p.ref, p.syn]));
  expectSameRecords(records, folderRecords);
});

test('a JSONL manifest, output to stdout as JSONL', async () => {
  const reversed = [...corpus.pairs].reverse();
  await writeFile(path.join(root, 'pairs.jsonl'), jsonlManifest(reversed));
  const run = await cli(root, ['score', '--pairs', 'pairs.jsonl', '-w', 'D.pth', '-q', '--format', 'jsonl']);
  expect(run.code).toBe(0);
  const records = parseJsonlText(run.stdout);
  expect(records.map((r) => r.syn)).toEqual(reversed.map((p) => p.syn));
  expectSameRecords(records, folderRecords);
});

test.each([
  ['CSV', () => csvManifest(corpus.pairs)],
  ['JSONL', () => jsonlManifest(corpus.pairs)],
])('--pairs - reads a %s manifest from stdin', async (_, manifest) => {
  const run = await cli(root, ['score', '--pairs', '-', '-w', 'D.pth', '-q', '--format', 'jsonl'], { input: manifest() });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expectSameRecords(parseJsonlText(run.stdout), folderRecords);
});

test('paths are relative to the working folder: the same manifest from another folder names missing files', async () => {
  await writeFile(path.join(root, 'lists', 'same.csv'), csvManifest(corpus.pairs.slice(0, 2)));
  const run = await cli(path.join(root, 'lists'), ['score', '--pairs', 'same.csv', '-w', '../D.pth', '-q', '--format', 'jsonl']);
  expect(run.code).toBe(3);
  const records = parseJsonlText(run.stdout);
  expect(records.map((r) => r.status)).toEqual(['error', 'error']);
  expect(records[0]!.error).toMatch(new RegExp(`^${corpus.pairs[0]!.syn}: `));
});

test('a manifest line naming a missing file gives an error row; the rest is scored (exit 3)', async () => {
  const [a, b, c] = corpus.pairs;
  const manifest = `ref,syn\n${a!.ref},${a!.syn}\n${b!.ref},syn/nope.wav\nref/nope.wav,${c!.syn}\n`;
  const run = await cli(root, ['score', '--pairs', '-', '-w', 'D.pth', '--format', 'jsonl'], { input: manifest });
  expect(run.code).toBe(3);
  const records = parseJsonlText(run.stdout);
  expect(records.map((r) => [r.syn, r.status])).toEqual([
    [a!.syn, 'ok'],
    ['syn/nope.wav', 'error'],
    [c!.syn, 'error'],
  ]);
  expect(records[1]!.error).toMatch(/^syn\/nope\.wav: .*(ENOENT|not found|disappeared)/);
  expect(records[2]!.error).toMatch(/^ref\/nope\.wav: /);
  expect(records[1]!.fm).toBeNull();
  expect(run.stderr).toContain('not scored (2):');
  expect(run.stderr).toContain('tts-critic: 3 files: 1 ok, 2 error, 0 unpaired');
});

test('a line without syn is unpaired, a line listed twice is an error row (exit 3)', async () => {
  const [a, b] = corpus.pairs;
  const manifest = `ref,syn\n${a!.ref},${a!.syn}\n${b!.ref},\n${a!.ref},${a!.syn}\n`;
  const run = await cli(root, ['score', '--pairs', '-', '-w', 'D.pth', '-q', '--format', 'jsonl'], { input: manifest });
  expect(run.code).toBe(3);
  const records = parseJsonlText(run.stdout);
  expect(records.map((r) => r.status).sort()).toEqual(['error', 'ok', 'unpaired']);
  expect(records.find((r) => r.status === 'error')!.error).toContain(`lists "${a!.syn}" more than once`);
});

describe('empty or malformed manifests exit 2 before scoring', () => {
  test.each([
    ['an empty file', '', /the manifest lists no pairs/],
    ['a header only', 'ref,syn\n', /the manifest lists no pairs/],
    ['no ref/syn columns', 'a,b\nx.wav,y.wav\n', /record 1 has neither "ref" nor "syn" \(expected columns: ref,syn\)/],
    ['an unclosed quote', 'ref,syn\n"ref/a.wav,syn/a.wav\n', /not a readable CSV manifest \(Quote Not Closed/],
    ['a short line', 'ref,syn\nref/a.wav\n', /not a readable CSV manifest \(Invalid Record Length/],
    ['a bad JSONL line', '{"ref":"ref/a.wav","syn":"syn/a.wav"}\n{"ref": oops}\n', /line 2 is not a JSON object with "ref" and "syn"/],
    ['a JSONL array', '{"ref":"a","syn":"b"}\n[1,2]\n', /line 2 is not a JSON object/],
  ])('%s', async (_, content, message) => {
    await writeFile(path.join(root, 'bad.csv'), content);
    for (const [args, input, source] of [
      [['--pairs', 'bad.csv'], '', 'bad.csv'],
      [['--pairs', '-'], content, 'stdin'],
    ] as const) {
      const run = await cli(root, ['score', ...args, '-w', 'D.pth'], { input });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(messages(run.stderr)).toEqual([expect.stringMatching(new RegExp(`^tts-critic: error: ${source}: `))]);
      expect(run.stderr).toMatch(message);
    }
  });

  test('a manifest that does not exist', async () => {
    const run = await cli(root, ['score', '--pairs', 'nope.csv', '-w', 'D.pth']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual(['tts-critic: error: cannot read --pairs nope.csv (ENOENT)']);
  });

  test('a binary file given as the manifest', async () => {
    const run = await cli(root, ['score', '--pairs', 'D.pth', '-w', 'D.pth']);
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual(['tts-critic: error: D.pth: not a CSV or JSONL manifest (it holds binary data)']);
  });

  test('folders and --pairs together', async () => {
    const run = await cli(root, ['score', 'ref', 'syn', '--pairs', '-', '-w', 'D.pth'], { input: csvManifest(corpus.pairs) });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual(['tts-critic: error: give either REF_DIR SYN_DIR or --pairs FILE, not both']);
  });
});
