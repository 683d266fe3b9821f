/**
 * The GPU process (src/engine/gpu-process.ts): engines of one adapter policy share it, it
 * names its adapter, a crash costs the calls in flight with a message in our words, and the
 * next engine gets a fresh process.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GpuProcess } from '../../src/engine/gpu-process.js';
import { openEngine } from '../../src/engine/open-engine.js';
import { resolveModel } from '../../src/model/index.js';
import { removeDir } from '../helpers/temp.js';
import { tinyFamily, tinyWeights } from '../helpers/tiny-model.js';
import { describeWebGpu, SOFTWARE_GPU } from '../helpers/webgpu.js';

const model = resolveModel(tinyFamily('hifigan'), tinyWeights('hifigan'));
const window = Float32Array.from({ length: 1200 }, (_, i) => 0.5 * Math.sin(i / 7) + 0.1 * Math.sin(i / 3));

function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describeWebGpu('the GPU process', () => {
  test('engines share one process; a crash fails their calls in our words; the next engine starts a new one', async () => {
    const first = await openEngine(model, 'syn-only', { device: SOFTWARE_GPU });
    const second = await openEngine(model, 'pair', { device: SOFTWARE_GPU });
    const gpu = GpuProcess.for('software');
    const pid = gpu.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    expect(first.adapter).toEqual(second.adapter);
    expect(first.adapter?.software).toBe('lavapipe');
    // Dawn's and the loader's lines went to the log, not to any stderr.
    expect(readFileSync(gpu.logFile, 'utf8')).toContain(`Using "${first.adapter!.name}"`);

    const [scores] = await first.run(null, [window]);
    expect(scores!.gen).toHaveLength(model.subs.length);

    process.kill(pid, 'SIGKILL');
    await waitFor(() => gpu.pid === undefined, 'the GPU process to end');
    const failure = /^the GPU process was stopped by SIGKILL \(its native log: .*native\.log\)$/;
    await expect(first.run(null, [window])).rejects.toThrow(failure);
    await expect(second.run([window], [window])).rejects.toThrow(failure);
    // The message points at the log, so it is kept.
    expect(existsSync(gpu.logFile)).toBe(true);
    removeDir(path.dirname(gpu.logFile));

    const third = await openEngine(model, 'syn-only', { device: SOFTWARE_GPU });
    try {
      expect(GpuProcess.for('software').pid).not.toBe(pid);
      const [again] = await third.run(null, [window]);
      expect(Array.from(again!.gen)).toEqual(Array.from(scores!.gen));
    } finally {
      await third.dispose();
      await first.dispose();
      await second.dispose();
    }
  }, 120_000);

  test('a GPU process ignores SIGTERM (the scoring process decides) and ends, removing its log, soon after its last engine', async () => {
    const engine = await openEngine(model, 'syn-only', { device: SOFTWARE_GPU });
    const gpu = GpuProcess.for('software');
    const folder = path.dirname(gpu.logFile);
    expect(existsSync(folder)).toBe(true);
    // Ctrl-C and SIGTERM reach the whole process group; the call in flight must still finish.
    process.kill(gpu.pid!, 'SIGTERM');
    process.kill(gpu.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [scores] = await engine.run(null, [window]);
    expect(scores!.fake).toHaveLength(model.subs.length);
    await engine.dispose();
    await waitFor(() => gpu.pid === undefined, 'the idle GPU process to end');
    await waitFor(() => !existsSync(folder), 'its log folder to go');
  }, 60_000);
});
