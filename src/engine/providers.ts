/**
 * The device -> execution-provider choice, as small frozen tables (the transformers.js
 * pattern). ONNX Runtime providers do not fall back on their own: `create()` throws when a
 * provider cannot start, so a device lists the providers to try, in order, and the caller
 * reports each fallback.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { UsageError } from '../errors.js';

export type Device = 'cpu' | 'webgpu' | 'webgpu-software' | 'cuda' | 'auto';
/** onnxruntime's execution providers we use. */
export type Provider = 'cpu' | 'webgpu' | 'cuda';

export const DEVICES: readonly Device[] = Object.freeze(['cpu', 'webgpu', 'webgpu-software', 'cuda', 'auto']);

/**
 * Which WebGPU adapters a device accepts. `hardware`: a real GPU only; a software renderer
 * (lavapipe, SwiftShader) is refused, since it is far slower than the CPU provider.
 * `software`: only a software renderer, and only when asked for by name (for tests and CI).
 */
export type AdapterPolicy = 'hardware' | 'software';

export interface Candidate {
  readonly provider: Provider;
  /** For GPU providers: which adapters are accepted. */
  readonly adapters: AdapterPolicy;
}

const candidate = (provider: Provider, adapters: AdapterPolicy = 'hardware'): Candidate => Object.freeze({ provider, adapters });

/** Providers to try, in order, for each device; `auto` prefers the fastest that starts. */
const DEVICE_CANDIDATES: Readonly<Record<Device, readonly Candidate[]>> = Object.freeze({
  cpu: Object.freeze([candidate('cpu')]),
  webgpu: Object.freeze([candidate('webgpu')]),
  'webgpu-software': Object.freeze([candidate('webgpu', 'software')]),
  cuda: Object.freeze([candidate('cuda')]),
  auto: Object.freeze([candidate('cuda'), candidate('webgpu'), candidate('cpu')]),
});

const PROVIDER_CONFIG: Readonly<Record<Provider, InferenceSession.ExecutionProviderConfig>> = Object.freeze({
  cpu: 'cpu',
  // Dawn on Vulkan, bundled with onnxruntime-node; needs libvulkan.so.1 and a GPU driver.
  webgpu: 'webgpu',
  // Only present when onnxruntime-node's install fetched the CUDA provider (see README, GPU).
  cuda: 'cuda',
});

/** What to tell a user whose provider did not start (onnxruntime's own text is cryptic). */
const PROVIDER_HINT: Readonly<Record<Provider, string>> = Object.freeze({
  cpu: 'the CPU provider failed to start',
  webgpu: 'no usable WebGPU adapter: WebGPU needs libvulkan.so.1 and a GPU driver with Vulkan support',
  cuda:
    'the CUDA provider is not installed or CUDA 12 is missing: reinstall onnxruntime-node without ' +
    'ONNXRUNTIME_NODE_INSTALL=skip on a machine with CUDA 12 and cuDNN 9',
});

export function providerHint(provider: Provider): string {
  return PROVIDER_HINT[provider];
}

export function parseDevice(value: string): Device {
  const device = value.trim().toLowerCase() as Device;
  if (!DEVICES.includes(device)) {
    throw new UsageError(`unknown device "${value}"; choose one of: ${DEVICES.join(', ')}`);
  }
  return device;
}

/** What to try, in order, for a requested device. */
export function deviceCandidates(device: Device): readonly Candidate[] {
  return DEVICE_CANDIDATES[device];
}

/** Providers to try, in order, for a requested device. */
export function providerCandidates(device: Device): readonly Provider[] {
  return [...new Set(deviceCandidates(device).map((c) => c.provider))];
}

export function providerConfig(provider: Provider): InferenceSession.ExecutionProviderConfig {
  return PROVIDER_CONFIG[provider];
}
