/**
 * Opens an engine on the requested device: the CPU provider runs in this process; GPU
 * providers run in the GPU process (gpu-process.ts), after a probe that names the adapter and
 * enforces the device's adapter policy (a software renderer only when asked for by name).
 * Candidates are tried in order (providers.ts); each fallback is reported in one line.
 */
import { UsageError, messageOf } from '../errors.js';
import type { ResolvedModel } from '../model/types.js';
import { describeAdapter, type AdapterInfo } from './adapter.js';
import type { GraphMode } from './discriminator-graph.js';
import { DiscriminatorEngine, type EngineOptions, type WindowScores } from './engine.js';
import { GpuProcess } from './gpu-process.js';
import { deviceCandidates, providerHint, type Candidate, type Device, type Provider } from './providers.js';

/** What the pipeline needs of an engine, wherever its session lives. */
export interface ScoringEngine {
  readonly mode: GraphMode;
  readonly provider: Provider;
  /** The GPU adapter it runs on; null on CPU, and where the adapter cannot be named. */
  readonly adapter: AdapterInfo | null;
  /** Feature maps per sub-discriminator, in model order. */
  readonly layerCounts: readonly number[];
  /** Native loss terms per sub and window (EngineOptions.native); absent or empty without them. */
  readonly nativeColumns?: readonly string[];
  run(ref: readonly Float32Array[] | null, syn: readonly Float32Array[]): Promise<WindowScores[]>;
  dispose(): Promise<void>;
}

function inProcess(engine: DiscriminatorEngine): ScoringEngine {
  return {
    mode: engine.mode,
    provider: engine.provider,
    adapter: null,
    layerCounts: engine.layerCounts,
    nativeColumns: engine.nativeColumns,
    run: (ref, syn) => engine.run(ref, syn),
    dispose: () => engine.dispose(),
  };
}

/** A candidate that did not start; `reason` is for the user, in one line. */
class Refusal extends Error {}

/**
 * onnxruntime's reason in one short line. Its failed checks read "<source>.cc:136 <function>
 * <condition> was false. Failed to get a WebGPU adapter: No supported adapters"; only the last
 * sentence is for people.
 */
export function runtimeReason(text: string): string {
  const line = text.split('\n')[0]!.trim();
  const check = / was false\. (.+)$/.exec(line);
  return (check ? check[1]! : line).slice(0, 200);
}

/** The adapter `candidate` would run on, refused when it breaks the candidate's policy. */
async function probeCandidate(candidate: Candidate): Promise<{ gpu: GpuProcess; adapter: AdapterInfo | null }> {
  const gpu = GpuProcess.for(candidate.adapters);
  const { provider } = candidate;
  let adapter: AdapterInfo | null;
  try {
    ({ adapter } = await gpu.probe(provider));
  } catch (error) {
    gpu.stopWhenIdle();
    const software =
      candidate.adapters === 'software'
        ? 'no software Vulkan driver: install Mesa 25 or later (lavapipe; Debian: mesa-vulkan-drivers from backports, see .ci/system-packages)'
        : providerHint(provider);
    throw new Refusal(`${software} (${runtimeReason(messageOf(error))})`);
  }
  if (candidate.adapters === 'hardware' && adapter?.software) {
    // Nothing will run there: free the software renderer's device.
    gpu.stopWhenIdle();
    throw new Refusal(
      `the only WebGPU adapter is ${describeAdapter(adapter)}, slower than the CPU provider; ` +
        'use --device webgpu-software to run on it anyway',
    );
  }
  return { gpu, adapter };
}

async function openCandidate(candidate: Candidate, model: ResolvedModel, mode: GraphMode, options: EngineOptions): Promise<ScoringEngine> {
  // Every engine option but the device choice and the callback goes to the engine as given.
  const { device: _device, onNotice: _onNotice, ...engineOptions } = options;
  if (candidate.provider === 'cpu') {
    return inProcess(await DiscriminatorEngine.create(model, mode, { ...engineOptions, device: 'cpu' }));
  }
  const { gpu, adapter } = await probeCandidate(candidate);
  try {
    return await gpu.open(model, mode, candidate.provider, adapter, engineOptions);
  } catch (error) {
    throw new Refusal(`${runtimeReason(messageOf(error))} (native log: ${gpu.citeLog()})`);
  }
}

function label(device: Device, candidate: Candidate): string {
  return device === 'webgpu-software' ? device : candidate.provider;
}

/** Opens an engine for `model` on `options.device` (default cpu). */
export async function openEngine(model: ResolvedModel, mode: GraphMode, options: EngineOptions = {}): Promise<ScoringEngine> {
  const device = options.device ?? 'cpu';
  const failures: string[] = [];
  for (const candidate of deviceCandidates(device)) {
    try {
      const engine = await openCandidate(candidate, model, mode, options);
      if (failures.length > 0) options.onNotice?.(`--device ${device}: ${failures.join('; ')}; running on ${engine.provider}`);
      return engine;
    } catch (error) {
      if (!(error instanceof Refusal) && !(error instanceof UsageError)) throw error;
      // engine.ts words its own failures as "could not start onnxruntime: <provider>: ...".
      failures.push(`${label(device, candidate)}: ${error.message.replace(/^could not start onnxruntime: (\w+: )?/, '')}`);
    }
  }
  throw new UsageError(`--device ${device}: ${failures.join('; ')}`);
}
