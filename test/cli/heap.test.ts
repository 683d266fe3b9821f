import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const heap = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/heap.js');

/** Runs limitHeapGrowth in a fresh process (a V8 flag set here would outlive the test). */
function run(args: string[]): { set: boolean; flag: string } {
  const script = `import('${heap}').then((m) => { const set = m.limitHeapGrowth(); console.log(JSON.stringify({ set, flag: process.execArgv.join(' ') })); })`;
  const child = spawnSync(process.execPath, [...args, '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as { set: boolean; flag: string };
}

describe('limitHeapGrowth', () => {
  it('sets the growth when the user did not', () => {
    expect(run([]).set).toBe(true);
  });

  it("leaves a user's own --heap-growing-percent", () => {
    expect(run(['--heap-growing-percent=80']).set).toBe(false);
    expect(run(['--heap_growing_percent=80']).set).toBe(false);
  });

  it('keeps a heap of live data plus churn near its live size', () => {
    // 60 MB live and 1.2 GB of short-lived objects promoted in between: V8's default lets the
    // heap reach several times the live set; limited, it stays within a small factor of it.
    const script = `
      import('${heap}').then((m) => {
        if (process.argv[1] === 'limit') m.limitHeapGrowth();
        const live = [];
        for (let i = 0; i < 1e6; i++) live.push({ a: 'x' + i, b: i });
        let max = 0; const junk = [];
        for (let k = 0; k < 300; k++) {
          const g = []; for (let i = 0; i < 20000; i++) g.push({ k, i, s: 'y' + i });
          junk.push(g); if (junk.length > 3) junk.shift();
          max = Math.max(max, process.memoryUsage().heapTotal);
        }
        console.log(Math.round(max / 1048576), live.length);
      });`;
    const peak = (mode: string) => Number(spawnSync(process.execPath, ['-e', script, mode], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).stdout.split(' ')[0]);
    const limited = peak('limit');
    const free = peak('default');
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(free * 0.75);
  });
});
