/**
 * The GPU path through the CLI, on the software renderer (see test/helpers/webgpu.ts):
 * a full-width family scored on WebGPU matches the CPU run; the JSON model block names the
 * provider and adapter; a software renderer is used only when asked for by name; and no line
 * of Dawn, the Vulkan loader or onnxruntime reaches stderr.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli, runMain } from '../helpers/cli.js';
import { referenceSignal, distort, writeSignal, RATE } from '../helpers/pipeline-fixtures.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-model.js';
import { describeWebGpu, SOFTWARE_GPU } from '../helpers/webgpu.js';

type Json = Record<string, unknown>;

/**
 * Native log lines: Dawn (`Warning: max... artificially reduced ...`), the Vulkan loader
 * (`ERROR: [Loader Message] ...`, `DRIVER: ...` when debugging) and onnxruntime
 * (`2026-... [W:onnxruntime:, ...]`).
 */
const NATIVE_LINE = /^(Warning|Error|Info|Debug): |^(ERROR|WARNING|INFO|DEBUG|DRIVER|LAYER)\b|Loader Message|artificially reduced|\[[EWIVF]:onnxruntime/m;

/** Only the machine's software renderer is visible to the Vulkan loader, and no CUDA device. */
const SOFTWARE_ONLY = { VK_LOADER_DRIVERS_SELECT: 'lvp_icd*', CUDA_VISIBLE_DEVICES: '' };

let root: string;

beforeAll(async () => {
  root = tempDir('webgpu');
  // One short pair: the software renderer runs a full-width model at about 1/20 of the CPU's speed.
  const frames = Math.round(0.06 * RATE);
  const reference = referenceSignal(frames, 7);
  await writeSignal(path.join(root, 'ref', 'a.wav'), reference);
  await writeSignal(path.join(root, 'syn', 'a.wav'), distort(reference, 0.2, 8));
  await writeTinyCheckpoint(path.join(root, 'tiny.pth'), { family: 'hifigan' });
});

afterAll(() => removeDir(root));

async function scoreJson(device: string, extra: string[] = []): Promise<{ code: number | null; stderr: string; doc: Json }> {
  const output = `${device}.json`;
  const run = await runMain(['score', 'ref', 'syn', '--device', device, '-o', output, '-q', ...extra], { cwd: root });
  const doc = run.code === 0 ? (JSON.parse(await readFile(path.join(root, output), 'utf8')) as Json) : {};
  return { code: run.code, stderr: run.stderr, doc };
}

/** Every number in `got` within `tolerance` (relative) of the same place in `want`; returns how many were compared. */
function compareNumbers(got: unknown, want: unknown, where: string, tolerance: number): number {
  if (typeof want === 'number') {
    if (typeof got !== 'number') throw new Error(`${where}: ${String(got)}, expected a number`);
    const relative = Math.abs(got - want) / Math.max(Math.abs(want), 1e-30);
    if (!(relative <= tolerance)) throw new Error(`${where}: webgpu ${got}, cpu ${want} (relative difference ${relative.toExponential(2)})`);
    return 1;
  }
  if (want !== null && typeof want === 'object') {
    let count = 0;
    for (const [key, value] of Object.entries(want)) count += compareNumbers((got as Json | null)?.[key], value, `${where}.${key}`, tolerance);
    return count;
  }
  return 0;
}

describeWebGpu('WebGPU through the CLI', () => {
  test('full-width sovits5 on WebGPU matches the CPU run; the model block names provider and adapter', async () => {
    const cpu = await scoreJson('cpu');
    const gpu = await scoreJson(SOFTWARE_GPU);
    expect(cpu.code).toBe(0);
    expect(gpu.code).toBe(0);
    expect(gpu.stderr).not.toMatch(NATIVE_LINE);
    expect(gpu.doc.model).toMatchObject({ family: 'sovits5', provider: 'webgpu', adapter: expect.stringMatching(/^llvmpipe/) });
    expect(cpu.doc.model).toMatchObject({ family: 'sovits5', provider: 'cpu', adapter: null });
    const [gpuFile] = gpu.doc.files as Json[];
    const [cpuFile] = cpu.doc.files as Json[];
    expect(gpuFile).toMatchObject({ status: 'ok', windows: 1 });
    // fm, gen, real, fake, disc, mel_l1, every per-sub score and every layer distance.
    expect(compareNumbers(gpuFile, cpuFile, 'a.wav', 1e-4)).toBeGreaterThan(100);
  }, 240_000);

  test('a real process prints no Dawn, Vulkan loader or onnxruntime line: with -q its stderr is empty', async () => {
    const run = await runCli(['score', 'ref', 'syn', '-w', 'tiny.pth', '--device', SOFTWARE_GPU, '-q', '--format', 'jsonl'], { cwd: root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'ok', family: 'hifigan' });
  }, 120_000);

  test('--device webgpu refuses a software renderer, in our words (exit 2)', async () => {
    const run = await runMain(['score', 'ref', 'syn', '-w', 'tiny.pth', '--device', 'webgpu'], { cwd: root, env: SOFTWARE_ONLY });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^tts-critic: error: --device webgpu: webgpu: the only WebGPU adapter is llvmpipe .*\(lavapipe, a software renderer\), slower than the CPU provider; use --device webgpu-software/m,
    );
    expect(run.stderr).not.toMatch(NATIVE_LINE);
  }, 120_000);

  test('--device auto with only a software renderer runs on CPU and says why in one line', async () => {
    const run = await runMain(['score', 'ref', 'syn', '-w', 'tiny.pth', '--device', 'auto', '--format', 'json'], { cwd: root, env: SOFTWARE_ONLY });
    expect(run.code).toBe(0);
    const notices = run.stderr.split('\n').filter((line) => line.startsWith('tts-critic: --device auto'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/cuda: .*; webgpu: the only WebGPU adapter is llvmpipe .*a software renderer.*; running on cpu$/);
    expect(run.stderr).not.toMatch(NATIVE_LINE);
    expect((JSON.parse(run.stdout) as Json).model).toMatchObject({ provider: 'cpu', adapter: null });
  }, 120_000);
});
