/**
 * The device -> execution-provider choice, as a small frozen table (the transformers.js
 * pattern). ONNX Runtime providers do not fall back on their own: `create()` throws when a
 * provider cannot start, so `auto` tries them in order and reports each fallback.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { UsageError } from '../errors.js';

export type Device = 'cpu' | 'webgpu' | 'cuda' | 'auto';
export type Provider = Exclude<Device, 'auto'>;

export const DEVICES: readonly Device[] = Object.freeze(['cpu', 'webgpu', 'cuda', 'auto']);

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

/** `auto` prefers the fastest provider that starts. */
const AUTO_ORDER: readonly Provider[] = Object.freeze(['cuda', 'webgpu', 'cpu']);

export function parseDevice(value: string): Device {
  const device = value.trim().toLowerCase() as Device;
  if (!DEVICES.includes(device)) {
    throw new UsageError(`unknown device "${value}"; choose one of: ${DEVICES.join(', ')}`);
  }
  return device;
}

/** Providers to try, in order, for a requested device. */
export function providerCandidates(device: Device): readonly Provider[] {
  return device === 'auto' ? AUTO_ORDER : [device];
}

export function providerConfig(provider: Provider): InferenceSession.ExecutionProviderConfig {
  return PROVIDER_CONFIG[provider];
}
