/**
 * The run summary through the CLI (in-process, `main()`): the stderr table (counts,
 * mean/median/p95/min/max of the main metrics, worst files, failures) by default, nothing with
 * --quiet, and the same summary as an object in `--format json`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  cli,
  column,
  meanOf,
  percentileOf,
  pipelineFolder,
  removeDir,
  scoreJsonl,
  type Corpus,
  type JsonDoc,
  type Rec,
  type Stats,
} from '../helpers/pipeline-fixtures.js';

const METRICS = ['fm', 'gen', 'disc', 'mel_l1', 'mel_dtw'];

let root: string;
let corpus: Corpus;
let records: Rec[];

beforeAll(async () => {
  corpus = await pipelineFolder('summary', { count: 8 });
  root = corpus.root;
  records = (await scoreJsonl(root)).records;
  // A manifest with two failures: a missing synthesized file and a reference without partner.
  const [a, b] = corpus.pairs;
  await writeFile(path.join(root, 'failures.csv'), `ref,syn\n${a!.ref},${a!.syn}\n${b!.ref},syn/nope.wav\n${b!.ref},\n`);
});
afterAll(() => removeDir(root));

interface Table {
  head: string;
  header: string[];
  rows: Map<string, { n: number; cells: (number | null)[] }>;
  worst: { metric: string; files: { value: number; file: string }[] } | null;
  failures: { title: string; lines: string[] } | null;
}

/** Parses the stderr summary table. */
function parseTable(stderr: string): Table {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^tts-critic: \d+ files?: /.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  const header = lines[start + 1]!.trim().split(/\s+/);
  const rows = new Map<string, { n: number; cells: (number | null)[] }>();
  let i = start + 2;
  for (; i < lines.length && /^\S+ +\d+ /.test(lines[i]!); i++) {
    const [name, n, ...cells] = lines[i]!.trim().split(/\s+/);
    rows.set(name!, { n: Number(n), cells: cells.map((c) => (c === '-' ? null : Number(c))) });
  }
  let worst: Table['worst'] = null;
  const worstAt = lines.findIndex((l) => l.startsWith('worst by '));
  if (worstAt >= 0) {
    const files: { value: number; file: string }[] = [];
    for (let j = worstAt + 1; j < lines.length && lines[j]!.startsWith('  '); j++) {
      const m = /^ +(\S+) {2}(.+)$/.exec(lines[j]!)!;
      files.push({ value: Number(m[1]), file: m[2]! });
    }
    worst = { metric: /^worst by (\S+):$/.exec(lines[worstAt]!)![1]!, files };
  }
  let failures: Table['failures'] = null;
  const failAt = lines.findIndex((l) => l.startsWith('not scored ('));
  if (failAt >= 0) {
    const failed: string[] = [];
    for (let j = failAt + 1; j < lines.length && lines[j]!.startsWith('  '); j++) failed.push(lines[j]!);
    failures = { title: lines[failAt]!, lines: failed };
  }
  return { head: lines[start]!, header, rows, worst, failures };
}

/** Five significant digits, as the table prints them. */
function expectCell(cell: number | null, value: number | null): void {
  if (value === null) return expect(cell).toBeNull();
  expect(cell).not.toBeNull();
  expect(Math.abs(cell! - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-4);
}

function stats(values: number[]): Stats {
  return {
    count: values.length,
    mean: meanOf(values),
    median: percentileOf(values, 50),
    p95: percentileOf(values, 95),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

test('by default: counts, statistics of fm, gen, disc, mel_l1 and mel_dtw, and the worst files on stderr', async () => {
  const run = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '-o', 'out.csv']);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe('');
  const table = parseTable(run.stderr);
  expect(table.head).toBe('tts-critic: 8 files: 8 ok, 0 error, 0 unpaired');
  expect(table.header).toEqual(['metric', 'n', 'mean', 'median', 'p95', 'min', 'max']);
  expect([...table.rows.keys()]).toEqual(METRICS);
  for (const metric of METRICS) {
    const expected = stats(column(records, metric));
    const row = table.rows.get(metric)!;
    expect(row.n).toBe(8);
    [expected.mean, expected.median, expected.p95, expected.min, expected.max].forEach((v, i) => expectCell(row.cells[i]!, v));
  }
  const byFm = [...records].sort((a, b) => (b.fm as number) - (a.fm as number)).slice(0, 5);
  expect(table.worst!.metric).toBe('fm');
  expect(table.worst!.files.map((f) => f.file)).toEqual(byFm.map((r) => r.syn));
  table.worst!.files.forEach((f, i) => expectCell(f.value, byFm[i]!.fm as number));
  expect(table.failures).toBeNull();
});

test('failures are listed with their message; the statistics cover the ok files only (exit 3)', async () => {
  const run = await cli(root, ['score', '--pairs', 'failures.csv', '-w', 'D.pth', '--format', 'jsonl']);
  expect(run.code).toBe(3);
  const table = parseTable(run.stderr);
  expect(table.head).toBe('tts-critic: 3 files: 1 ok, 1 error, 1 unpaired');
  expect(table.rows.get('fm')!.n).toBe(1);
  expect(table.failures!.title).toBe('not scored (2):');
  expect(table.failures!.lines[0]).toMatch(/^ {2}error {5}syn\/nope\.wav: .*(ENOENT|not found|disappeared)/);
  expect(table.failures!.lines[1]).toMatch(/^ {2}unpaired {2}ref\/spk1\/u01\.wav: .*no synthesized file with the same name$/);
});

test('--quiet: nothing on stderr, whatever the outcome; the exit code still tells', async () => {
  const ok = await cli(root, ['score', 'ref', 'syn', '-w', 'D.pth', '--quiet']);
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  const failed = await cli(root, ['score', '--pairs', 'failures.csv', '-w', 'D.pth', '-q']);
  expect(failed.stderr).toBe('');
  expect(failed.code).toBe(3);
  const merged = await cli(root, ['merge', 'out.csv', '-q']);
  expect(merged.stderr).toBe('');
  expect(merged.code).toBe(0);
});

test('--format json carries the same summary as the table', async () => {
  for (const args of [
    ['ref', 'syn'],
    ['--pairs', 'failures.csv'],
  ]) {
    const run = await cli(root, ['score', ...args, '-w', 'D.pth', '--format', 'json']);
    const doc = JSON.parse(run.stdout) as JsonDoc;
    const table = parseTable(run.stderr);
    const s = doc.summary;
    expect(table.head).toBe(`tts-critic: ${s.files} files: ${s.ok} ok, ${s.error} error, ${s.unpaired} unpaired`);
    expect(s.interrupted).toBe(false);
    expect(Object.keys(s.metrics)).toEqual([...table.rows.keys()]);
    for (const [metric, row] of table.rows) {
      const m = s.metrics[metric]!;
      expect(row.n).toBe(m.count);
      [m.mean, m.median, m.p95, m.min, m.max].forEach((v, i) => expectCell(row.cells[i]!, v));
    }
    expect(s.worst.metric).toBe(table.worst!.metric);
    expect(s.worst.files.map((f) => f.syn)).toEqual(table.worst!.files.map((f) => f.file));
    expect(s.errors.map((e) => e.status)).toEqual(table.failures ? ['error', 'unpaired'] : []);
    // The object's statistics are those of the records.
    const ok = doc.files.filter((f) => f.status === 'ok');
    const expected = stats(column(ok, 'fm'));
    for (const key of ['mean', 'median', 'p95', 'min', 'max'] as const) {
      expect(Math.abs(s.metrics['fm']![key]! - expected[key]!)).toBeLessThanOrEqual(Math.abs(expected[key]!) * 1e-12);
    }
    expect(s.files).toBe(doc.files.length);
  }
});

test('merge prints the summary of the merged records', async () => {
  const run = await cli(root, ['merge', 'out.csv', '--format', 'json']);
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as JsonDoc;
  const table = parseTable(run.stderr);
  expect(table.head).toBe('tts-critic: 8 files: 8 ok, 0 error, 0 unpaired');
  expect(doc.summary.files).toBe(8);
  expectCell(table.rows.get('mel_l1')!.cells[0]!, doc.summary.metrics['mel_l1']!.mean);
});
