/**
 * Real interruptions of a separate process writing a report: SIGKILL (no chance to clean up)
 * and SIGTERM handled by `abort()`. The report modules are transpiled into a temp folder so a
 * plain `node` child can import them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { parseJsonl } from '../../src/report/jsonl.js';
import { readReport } from '../../src/report/read.js';
import { leftoverTempFiles } from '../../src/report/sink.js';
import { tempDir } from './helpers.js';

const root = process.cwd();
let tmp: ReturnType<typeof tempDir>;

function transpile(from: string, to: string): void {
  const output = ts.transpileModule(readFileSync(from, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, output);
}

beforeAll(() => {
  tmp = tempDir();
  transpile(join(root, 'src/errors.ts'), tmp.path('lib/errors.js'));
  transpile(join(root, 'src/scores.ts'), tmp.path('lib/scores.js'));
  for (const folder of ['report', 'util']) {
    for (const file of readdirSync(join(root, 'src', folder)).filter((f) => f.endsWith('.ts'))) {
      transpile(join(root, 'src', folder, file), tmp.path(`lib/${folder}/${file.replace(/\.ts$/, '.js')}`));
    }
  }
  writeFileSync(tmp.path('package.json'), '{"type":"module"}');
  symlinkSync(join(root, 'node_modules'), tmp.path('node_modules'), 'dir');
  // Writes records forever (each with a long path so lines span pages); SIGTERM aborts.
  writeFileSync(
    tmp.path('child.js'),
    `import { createReportWriter } from './lib/report/writer.js';
const [format, output] = process.argv.slice(2);
const model = { family: 'gpt-sovits', sampleRate: 32000, subs: ['s', 'p2'], weights: 'untrained', seed: 0,
  checkpoint: null, sha256: null, precision: null, provider: 'cpu', segmentSamples: 0 };
const writer = createReportWriter({ format, output, model, version: 'test' });
process.on('SIGTERM', () => { writer.abort().then(() => process.exit(143)); });
const sub = (name, x) => ({ name, fm: x, gen: x, real: x, fake: x, fmLayers: [x, x / 2, x / 3] });
let i = 0;
function batch() {
  for (let j = 0; j < 50; j++, i++) {
    const syn = 'out/' + 'x'.repeat(3000 + (i % 1000)) + '/' + i + '.wav';
    writer.write({ key: syn, ref: 'ref/' + i + '.wav', syn, status: 'ok', error: '', sampleRate: 32000, refSeconds: 1,
      synSeconds: 1, windows: 1, totals: { fm: i / 7, gen: 1, real: 1, fake: 1, disc: 2, melL1: 1 },
      subs: [sub('s', i / 3), sub('p2', i / 9)] });
  }
  if (i === 50) process.stdout.write('ready\\n');
  setImmediate(batch);
}
batch();
`,
  );
});
afterAll(() => tmp.cleanup());

/** Starts the child, waits until it has written records, then sends `signal`. */
function runAndSignal(format: string, output: string, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tmp.path('child.js'), format, output], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill(signal), 30));
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('interrupting a writing process', () => {
  it('SIGKILL: the output is absent and the JSONL temp file holds whole records (at most a cut last line)', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const output = tmp.path(`killed-${attempt}.jsonl`);
      await runAndSignal('jsonl', output, 'SIGKILL');
      expect(existsSync(output)).toBe(false);
      const temps = leftoverTempFiles(output);
      expect(temps).toHaveLength(1);
      const temp = temps[0];
      expect(statSync(temp!).size).toBeGreaterThan(0);
      const { rows } = parseJsonl(readFileSync(temp!, 'utf8'), temp!);
      expect(rows.length).toBeGreaterThanOrEqual(50);
      rows.forEach((row, i) => expect(row['fm']).toBe(i / 7));
    }
  });

  it.each(['jsonl', 'csv', 'json'])('SIGTERM + abort(): %s output is complete and the temp file gone', async (format) => {
    const output = tmp.path(`terminated.${format}`);
    const code = await runAndSignal(format, output, 'SIGTERM');
    expect(code).toBe(143);
    expect(leftoverTempFiles(output)).toEqual([]);
    const data = await readReport(output);
    expect(data.partialLine).toBe(false);
    expect(data.rows.length).toBeGreaterThanOrEqual(50);
    data.rows.forEach((row, i) => expect(row['fm']).toBe(i / 7));
    if (format === 'json') expect(JSON.parse(readFileSync(output, 'utf8')).summary.interrupted).toBe(true);
  });
});
