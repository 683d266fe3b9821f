/**
 * The human and CI views through the CLI (in-process): `report` and `merge` write every format
 * from saved scores, `score` writes the views directly, JUnit from a real run validates against
 * the schema, and in GitHub Actions (`GITHUB_ACTIONS=true`) failed gates and files become
 * `::error` annotations and the Markdown summary is appended to `$GITHUB_STEP_SUMMARY`.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../helpers/cli.js';
import { parseJsonlText, pipelineFolder, removeDir, writeSignal, referenceSignal, type Corpus } from '../helpers/pipeline-fixtures.js';
import { haveTool } from '../helpers/system-tools.js';
import { parseJunit, validateJunit } from '../report/junit-schema.js';

const withXmllint = haveTool('xmllint', 'libxml2-utils', 'validating JUnit XML against its schema') ? test : test.skip;

let root: string;
let corpus: Corpus;
const FAILING_GATE = 'mean(fm) > 1e-9';

beforeAll(async () => {
  corpus = await pipelineFolder('views', { count: 4 });
  root = corpus.root;
  // One pair that cannot be scored and one reference without a partner.
  await writeFile(path.join(root, 'ref', 'spk1', 'broken.wav'), Buffer.from('RIFF....WAVEjunk'));
  await writeFile(path.join(root, 'syn', 'spk1', 'broken.wav'), Buffer.from('not audio at all'));
  await writeSignal(path.join(root, 'ref', 'spk1', 'lonely.wav'), referenceSignal(4800, 7));
  const run = await runMain(['score', 'ref', 'syn', '-w', 'D.pth', '-q', '-o', 'scores.jsonl'], { cwd: root });
  expect(run.code).toBe(3);
  await mkdir(path.join(root, 'out'));
});
afterAll(() => removeDir(root));

const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

withXmllint('report -o X.xml: JUnit of saved scores, schema-valid, one testcase per pair, failed gate on its own', async () => {
  const run = await runMain(['report', 'scores.jsonl', '-o', 'out/report.xml', '--fail-if', FAILING_GATE, '-q'], { cwd: root });
  expect(run.code).toBe(1);
  const xml = read('out/report.xml');
  expect(validateJunit(xml)).toEqual({ status: 0, output: expect.stringContaining('validates') });
  const parsed = parseJunit(xml);
  const [files, gates] = parsed.suites;
  expect(files!.cases).toHaveLength(6);
  expect(files!.cases.filter((c) => c.failure).map((c) => [c.name, c.failure!.type])).toEqual([
    ['ref/spk1/lonely.wav', 'unpaired'],
    ['syn/spk1/broken.wav', 'error'],
  ]);
  expect(files!.cases.find((c) => c.name === 'syn/spk1/broken.wav')!.failure!.message).toMatch(/^(ref|syn)\/spk1\/broken\.wav: /);
  expect(gates!.cases.map((c) => [c.name, c.failure?.type])).toEqual([[FAILING_GATE, 'gate']]);
  expect([parsed.tests, parsed.failures]).toEqual([7, 3]);
});

test('merge --format markdown writes the summary to stdout; every format is accepted', async () => {
  const run = await runMain(['merge', 'scores.jsonl', '--format', 'markdown', '-q'], { cwd: root });
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/^## ⚠️ tts-critic: 6 files: 4 ok, 1 error, 1 unpaired\n/);
  expect(run.stdout).toContain('### Not scored (2)');
  expect(run.stdout).toContain('### Worst 4 by fm (highest first)');
  for (const [format, start] of [
    ['html', '<!DOCTYPE html>'],
    ['junit', '<?xml'],
    ['json', '{'],
    ['csv', 'ref,syn,status'],
  ] as const) {
    const other = await runMain(['report', 'scores.jsonl', '--format', format, '-q'], { cwd: root });
    expect([format, other.code, other.stdout.startsWith(start)]).toEqual([format, 3, true]);
  }
});

test('report builds the HTML from CSV and JSON scores and from several shards at once', async () => {
  for (const format of ['csv', 'json'] as const) {
    expect((await runMain(['merge', 'scores.jsonl', '-o', `out/all.${format}`, '-q'], { cwd: root })).code).toBe(3);
  }
  const fromCsv = await runMain(['report', 'out/all.csv', '-o', 'out/from-csv.html', '-q'], { cwd: root });
  expect(fromCsv.code).toBe(3);
  // CSV does not record the window length: the model block says what it knows.
  expect(read('out/from-csv.html')).toContain('read from CSV/JSONL scores, which do not record the window length or provider');
  const fromJson = await runMain(['report', 'out/all.json', '-o', 'out/from-json.html', '-q'], { cwd: root });
  expect(fromJson.code).toBe(3);
  expect(read('out/from-json.html')).toContain('<tr><th>family</th><td>gpt-sovits</td></tr>');
  // Two "shards" (the same records twice): merged, one row per file, a duplicate warning each.
  const shards = await runMain(['report', 'out/all.csv', 'scores.jsonl', '-o', 'out/shards.html', '-q'], { cwd: root });
  expect(shards.code).toBe(3);
  expect(shards.stderr.match(/duplicate record for/g)).toHaveLength(6);
  expect(read('out/shards.html')).toMatch(/<b>6<\/b> files/);
});

test('report refuses a view as input and an unknown --worst-by (exit 2)', async () => {
  await writeFile(path.join(root, 'out', 'old.html'), '<!DOCTYPE html>');
  const html = await runMain(['report', 'out/old.html'], { cwd: root });
  expect(html.code).toBe(2);
  expect(html.stderr).toContain('cannot read out/old.html: a html report is a view, not scores');
  const worst = await runMain(['report', 'scores.jsonl', '--worst-by', 'fmm'], { cwd: root });
  expect(worst.code).toBe(2);
  expect(worst.stderr).toContain('invalid --worst-by "fmm": unknown column "fmm" (did you mean "fm"?)');
});

describe('GitHub Actions', () => {
  test('annotations on stderr and the summary appended to $GITHUB_STEP_SUMMARY', async () => {
    const summaryFile = path.join(root, 'out', 'step-summary.md');
    await writeFile(summaryFile, 'earlier step\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: root };
    const run = await runMain(['report', 'scores.jsonl', '--format', 'csv', '-o', 'out/all.csv', '--fail-if', FAILING_GATE, '-q'], { cwd: root, env });
    expect(run.code).toBe(1);
    const annotations = run.stderr.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(3);
    expect(annotations[0]).toMatch(/^::error title=tts-critic gate failed%3A mean\(fm\) > 1e-9::gate "mean\(fm\) > 1e-9" failed: mean\(fm\) = /);
    expect(annotations).toContain('::error file=ref/spk1/lonely.wav,title=tts-critic%3A unpaired::ref/spk1/lonely.wav: no synthesized file with the same name');
    expect(annotations.some((l) => l.startsWith('::error file=syn/spk1/broken.wav,title=tts-critic%3A error::'))).toBe(true);
    // The CSV on disk is untouched by the annotations.
    expect(read('out/all.csv').startsWith('ref,syn,status')).toBe(true);
    const summary = read('out/step-summary.md');
    expect(summary.startsWith('earlier step\n## ❌ tts-critic: 6 files: 4 ok, 1 error, 1 unpaired\n')).toBe(true);
    expect(summary).toContain('| ❌ failed | `mean(fm) > 1e-9` |');
    expect(summary).toContain('### Worst 4 by fm');
    expect(summary).toContain('| unpaired | ref/spk1/lonely\\.wav |');
  });

  test('score in GitHub Actions: a regression against --baseline is annotated and summarised', async () => {
    // The baseline says syn/spk1/u00.wav used to be much better.
    const records = parseJsonlText(read('scores.jsonl'));
    const base = records.map((r) => (r.syn === 'syn/spk1/u00.wav' ? { ...r, fm: (r.fm as number) / 2 } : r));
    await writeFile(path.join(root, 'out', 'base.jsonl'), base.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const summaryFile = path.join(root, 'out', 'score-summary.md');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile };
    const run = await runMain(['score', 'ref', 'syn', '-w', 'D.pth', '-q', '--format', 'markdown', '--baseline', 'out/base.jsonl'], { cwd: root, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^::error file=syn\/spk1\/u00\.wav,title=tts-critic%3A fm regressed::syn\/spk1\/u00\.wav: fm \S+ -> \S+ \(\+100%25, allowed 5%25\)$/m);
    // --format markdown on stdout is the same summary as the one appended for GitHub.
    expect(read('out/score-summary.md')).toBe(`${run.stdout}\n`);
    expect(run.stdout).toContain('**Regressed beyond the allowance (1)**');
    expect(run.stdout).toMatch(/\| syn\/spk1\/u00\\\.wav \| fm \| \S+ \| \S+ \| \+100% \|/);
  });

  test('outside GitHub Actions nothing is annotated', async () => {
    const run = await runMain(['report', 'scores.jsonl', '--format', 'csv', '--fail-if', FAILING_GATE], { cwd: root, env: { GITHUB_ACTIONS: 'false' } });
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('::error');
  });
});
