/**
 * The coverage-guided fuzz targets (fuzz/targets/, run by fuzz/run.mjs): every seed and every
 * input that once failed (fuzz/regressions/) still meets its target's contract, and each target
 * fuzzes briefly on its seeds plus fresh mutations without a finding. Long campaigns are
 * `npm run fuzz -- --time SECONDS`. Both run on dist/ (built by `npm test`'s pretest).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RUNNER = path.resolve('fuzz/run.mjs');
/** Seconds each target fuzzes here: the 17 targets, two at a time, take about 45 s in all. */
const SECONDS = Number(process.env['FUZZ_SECONDS'] ?? 2);

function run(args: string[], timeout: number): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [RUNNER, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('fuzz targets', () => {
  it('meet their contracts on every seed and every kept regression input', () => {
    const r = run(['--replay'], 60_000);
    expect(r.output).toMatch(/replayed \d+ inputs of 17 targets: 0 failed/);
    expect(r.status).toBe(0);
  }, 70_000);

  it('fuzz briefly without a crash, hang or contract violation', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-fuzz-'));
    try {
      const json = path.join(dir, 'stats.json');
      const r = run(['--time', String(SECONDS), '--jobs', '2', '--no-nice', '--json', json], 150_000);
      if (r.status === 2 && /cannot load Jazzer|needs glibc 2\.38/.test(r.output) && process.env['CI'] !== 'true') {
        console.warn(`skipping: ${r.output.trim()}`);
        return;
      }
      expect(r.output).not.toMatch(/^FAIL/m);
      expect(r.status).toBe(0);
      const stats = JSON.parse(readFileSync(json, 'utf8')) as { target: string; ok: boolean; executions: number }[];
      expect(stats).toHaveLength(17);
      for (const s of stats) expect(s.executions).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 160_000);
});
