/**
 * What the long-file memory tests (test/e2e/long-file.test.ts, long-formats.test.ts) share: a
 * long 16-bit mono WAV written a second at a time, and a CLI run whose peak RSS is its processes'
 * own peak RSS (VmHWM, see bench/peak-rss.cjs), written at exit by the benchmarks' preload
 * (`node -r bench/peak-rss.cjs bin/tts-critic.js ...`), so it covers the whole run and nothing is sampled.
 */
import { readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { peakRssMb } from '../../bench/peak-rss.mjs';
import { pcm16WavHeader } from '../../bench/wav-header.mjs';
import { CLI, parseJsonl, REPO_ROOT, spawnCli, stackLines, type Rec } from './e2e.js';

const PROBE = path.join(REPO_ROOT, 'bench', 'peak-rss.cjs');

/**
 * A 16-bit mono WAV of `seconds`, written one second at a time from `distinct` (each one second
 * of 16-bit samples), so that neither the test nor the file writer ever holds it whole. They are
 * cycled with a stride coprime to their count (7 in both tests), so that neighbouring windows differ.
 */
export async function writeCycledWav(file: string, sampleRate: number, seconds: number, distinct: readonly Buffer[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.write(pcm16WavHeader(sampleRate, 1, seconds * sampleRate * 2));
    for (let s = 0; s < seconds; s++) await handle.write(distinct[(s * 3) % distinct.length]!);
  } finally {
    await handle.close();
  }
}

/**
 * Scores ref/ vs syn/ under `folder` (relative to `dir`, which holds tiny.pth) in
 * a real CLI process with `args` added; returns the one record, the peak RSS in MB and the wall seconds.
 */
export async function scoreWithProbe(
  dir: string,
  folder: string,
  options: { args?: readonly string[]; timeoutMs: number },
): Promise<{ record: Rec; peakMb: number; seconds: number }> {
  const rssFile = path.join(dir, `${folder.replace(/\//g, '-')}.rss`);
  rmSync(rssFile, { force: true }); // the probe appends
  const started = Date.now();
  const cli = spawnCli(['score', path.join(folder, 'ref'), path.join(folder, 'syn'), '--weights', 'tiny.pth', ...(options.args ?? []), '--format', 'jsonl', '-q'], {
    cwd: dir,
    command: [process.execPath, '-r', PROBE, CLI],
    env: { TTS_CRITIC_BENCH_RSS: rssFile },
    timeoutMs: options.timeoutMs,
  });
  const { code } = await cli.exited;
  expect(stackLines(cli.stderr())).toEqual([]);
  expect(code).toBe(0);
  const records = parseJsonl(cli.stdout());
  expect(records).toHaveLength(1);
  return { record: records[0]!, peakMb: peakRssMb(readFileSync(rssFile, 'utf8')), seconds: (Date.now() - started) / 1000 };
}
