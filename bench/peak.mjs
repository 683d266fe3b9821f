// Measures this machine's float32 FMA peak with bench/fma-peak.c (needs `cc`). Returns
// { gflops, isa } or null when no C compiler is available.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function measureFmaPeak(threads) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-peak-'));
  try {
    const binary = path.join(dir, 'fma-peak');
    const build = spawnSync('cc', ['-O2', '-pthread', path.join(here, 'fma-peak.c'), '-o', binary], { encoding: 'utf8' });
    if (build.status !== 0) return null;
    const run = spawnSync(binary, [String(threads)], { encoding: 'utf8' });
    const [rate, isa] = (run.stdout ?? '').trim().split(' ');
    return Number(rate) > 0 ? { gflops: Number(rate), isa } : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
