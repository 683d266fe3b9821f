/**
 * The README's main job, exactly as written, as users run it: the built launcher
 * (bin/tts-critic.js -> dist/) as a process, `tts-critic score fixtures/ref fixtures/syn`, the
 * untrained sovits5 default at full size. Everything else about scoring folders runs in-process
 * in test/cli/score-folders.test.ts.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { finite, parseCsv, REPO_ROOT, stackLines } from '../helpers/e2e.js';

const CONTRACT_HEAD = ['ref', 'syn', 'status', 'error', 'sample_rate', 'ref_seconds', 'syn_seconds', 'ref_format', 'syn_format', 'ref_sample_rate', 'syn_sample_rate', 'windows', 'fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw', 'offset_ms', 'warning'];

const fixtureFiles = () => readdirSync(path.join(REPO_ROOT, 'fixtures'), { recursive: true }).map(String).sort();

test("the README's main job: `tts-critic score fixtures/ref fixtures/syn` exits 0 with three ok rows", async () => {
  const before = fixtureFiles();
  const run = await runCli(['score', 'fixtures/ref', 'fixtures/syn']);
  expect(stackLines(run.stderr)).toEqual([]);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.signal).toBeNull();
  expect(run.code).toBe(0);
  const { header, rows } = parseCsv(run.stdout);
  expect(header.slice(0, CONTRACT_HEAD.length)).toEqual(CONTRACT_HEAD);
  expect(header.slice(-2)).toEqual(['family', 'weights']);
  expect(rows.map((r) => [r.ref, r.syn, r.status])).toEqual([
    ['fixtures/ref/a.wav', 'fixtures/syn/a.wav', 'ok'],
    ['fixtures/ref/b.wav', 'fixtures/syn/b.wav', 'ok'],
    ['fixtures/ref/speaker2/c.wav', 'fixtures/syn/speaker2/c.wav', 'ok'],
  ]);
  for (const r of rows) {
    expect(r.family).toBe('sovits5');
    expect(r.weights).toBe('untrained:seed=0');
    for (const column of header.filter((h) => !['ref', 'syn', 'status', 'error', 'warning', 'ref_format', 'syn_format', 'family', 'weights'].includes(h))) finite(r[column], `${r.syn} ${column}`);
    expect([r.syn, r.offset_ms, r.warning]).toEqual([r.syn, '0', '']);
  }
  // The tool says the untrained default's adversarial scores need a trained checkpoint.
  expect(run.stderr).toMatch(/adversarial scores .* need a trained checkpoint/);
  expect(run.stderr).toMatch(/3 files: 3 ok, 0 error, 0 unpaired/);
  // The report went to stdout: nothing written among the inputs.
  expect(fixtureFiles()).toEqual(before);
}, 120_000);
