/**
 * `score` memory follows the window, not the file count: over 200,000 pairs its RSS grows by at
 * most 50 MB per 100,000 pairs. The whole command runs (pairs manifest, summary, two gates, the
 * JSON document writer) in a child process from dist/, with a stand-in scorer injected through
 * `scoreCommand`'s dependencies (test/helpers/stand-in-score.mjs; no engine, no audio), so the
 * only memory that can grow with the count is what the command keeps per file. Before issue 22
 * it kept every row (about 2 KB each): several hundred MB here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/golden.js';
import { removeDir, tempDir } from '../helpers/e2e.js';

const PAIRS = 200_000;

test('score over 200,000 pairs grows RSS by at most 50 MB per 100,000 pairs', () => {
  const dir = tempDir('score-memory');
  try {
    const output = path.join(dir, 'scores.json');
    const script = path.join(REPO_ROOT, 'test', 'helpers', 'stand-in-score.mjs');
    const out = execFileSync(process.execPath, [script, String(PAIRS), output, 'format', 'json'], { encoding: 'utf8', timeout: 120_000 });
    const [code, start, largest] = out.trim().split(' ').map(Number);
    // Exit 3: the stand-in makes every 997th pair an error row.
    expect(code).toBe(3);
    const growth = largest! - start!;
    expect(growth).toBeLessThanOrEqual((50 * PAIRS) / 100_000);
    // The document is whole: every pair is in `files`, and the summary counted them all.
    const doc = JSON.parse(readFileSync(output, 'utf8')) as { files: unknown[]; summary: { files: number; error: number } };
    expect(doc.files).toHaveLength(PAIRS);
    expect(doc.summary.files).toBe(PAIRS);
    expect(doc.summary.error).toBe(Math.ceil(PAIRS / 997));
  } finally {
    removeDir(dir);
  }
}, 180_000);
