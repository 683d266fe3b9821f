/**
 * The WebGPU tests run on Mesa's software Vulkan driver, lavapipe (`--device webgpu-software`),
 * so they run on every machine, GPU or not, once it is installed (`bash .ci/system-packages`).
 *
 * `describeWebGpu` runs its tests when the software renderer starts. Under `CI=true` it always
 * runs them, so a missing driver fails them with the tool's own message instead of skipping;
 * elsewhere it skips them and says what to install.
 */
import { UsageError } from '../../src/errors.js';
import { openEngine } from '../../src/engine/open-engine.js';
import { resolveModel } from '../../src/model/index.js';
import { tinyFamily, tinyWeights } from './tiny-model.js';

export const SOFTWARE_GPU = 'webgpu-software' as const;

// lavapipe compiles each shader with LLVM at its first dispatch and runs the full-width model
// slowly; 128-bit instead of its default 256-bit vectors makes both cheaper here (measured on a
// new machine's empty Mesa shader cache, as in CI, 2 busy cores: webgpu-parity 22.7 -> 18.1 s,
// cli-pipelines/webgpu 37.7 -> 21.1 s). The GPU processes inherit it.
process.env.LP_NATIVE_VECTOR_WIDTH ??= '128';

/** Null when the software renderer starts, else why not. */
async function softwareGpuProblem(): Promise<string | null> {
  try {
    const model = resolveModel(tinyFamily('hifigan'), tinyWeights('hifigan'));
    const engine = await openEngine(model, 'syn-only', { device: SOFTWARE_GPU });
    await engine.dispose();
    return null;
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

const problem = process.env.CI === 'true' ? null : await softwareGpuProblem();
if (problem) {
  console.warn(
    `WebGPU tests skipped: ${problem}\n` +
      'Install the software Vulkan driver (Mesa 25 lavapipe) with: bash .ci/system-packages  (Debian; root or sudo)',
  );
}

/** `describe`, or `describe.skip` outside CI on a machine without the software renderer. */
export const describeWebGpu: jest.Describe = problem ? describe.skip : describe;
