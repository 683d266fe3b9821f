import { adapterFromLoaderLog, describeAdapter, vulkanEnvironment } from '../../src/engine/adapter.js';
import { DEVICES, deviceCandidates, parseDevice, providerCandidates } from '../../src/engine/providers.js';
import { runtimeReason } from '../../src/engine/open-engine.js';
import { UsageError } from '../../src/errors.js';

// Lines as the Vulkan loader (1.3.239, Debian bookworm) writes them with VK_LOADER_DEBUG=driver.
const LAVAPIPE_LOG = `DRIVER:           Found ICD manifest file /usr/share/vulkan/icd.d/lvp_icd.json, version "1.0.0"
INFO | DRIVER:    linux_read_sorted_physical_devices:
INFO | DRIVER:         Original order:
INFO | DRIVER:               [0] llvmpipe (LLVM 15.0.6, 256 bits)
Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.
DRIVER:           vkCreateDevice layer callstack setup to:
DRIVER:              <Application>
DRIVER:                ||
DRIVER:              <Loader>
DRIVER:                ||
DRIVER:              <Device>
DRIVER:                  Using "llvmpipe (LLVM 15.0.6, 256 bits)" with driver: "libvulkan_lvp.so"
`;

describe('adapterFromLoaderLog', () => {
  test('names the device the loader created, and knows lavapipe for a software renderer', () => {
    expect(adapterFromLoaderLog(LAVAPIPE_LOG)).toEqual({
      name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
      driver: 'libvulkan_lvp.so',
      software: 'lavapipe',
    });
  });

  test('a GPU driver is hardware; the last device created wins', () => {
    const log = `${LAVAPIPE_LOG}DRIVER:                  Using "NVIDIA H100 80GB HBM3" with driver: "/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0"\n`;
    expect(adapterFromLoaderLog(log)).toEqual({
      name: 'NVIDIA H100 80GB HBM3',
      driver: '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0',
      software: null,
    });
    const swiftshader = 'DRIVER:                  Using "SwiftShader Device (Subzero) (0x0000C0DE)" with driver: "./libvk_swiftshader.so"';
    expect(adapterFromLoaderLog(swiftshader)?.software).toBe('SwiftShader');
    const radv = 'DRIVER:                  Using "AMD Radeon RX 7900 XTX (RADV NAVI31)" with driver: "libvulkan_radeon.so"';
    expect(adapterFromLoaderLog(radv)?.software).toBeNull();
  });

  test('no device line (no Vulkan loader, or no device created): unknown', () => {
    expect(adapterFromLoaderLog('')).toBeNull();
    expect(adapterFromLoaderLog(LAVAPIPE_LOG.split('\n').slice(0, 6).join('\n'))).toBeNull();
  });

  test('describeAdapter says when an adapter is a software renderer', () => {
    expect(describeAdapter(adapterFromLoaderLog(LAVAPIPE_LOG)!)).toBe('llvmpipe (LLVM 15.0.6, 256 bits) (lavapipe, a software renderer)');
    expect(describeAdapter({ name: 'NVIDIA H100 80GB HBM3', driver: 'libGLX_nvidia.so.0', software: null })).toBe('NVIDIA H100 80GB HBM3');
  });
});

test('the GPU process environment: the loader names its device; software processes see software drivers only', () => {
  expect(vulkanEnvironment('hardware', {})).toEqual({ VK_LOADER_DEBUG: 'driver' });
  expect(vulkanEnvironment('hardware', { VK_LOADER_DEBUG: 'error' })).toEqual({ VK_LOADER_DEBUG: 'error,driver' });
  expect(vulkanEnvironment('software', {})).toEqual({ VK_LOADER_DEBUG: 'driver', VK_LOADER_DRIVERS_SELECT: 'lvp_icd*,*swiftshader*' });
});

describe('devices', () => {
  test('auto tries CUDA, then a hardware WebGPU adapter, then the CPU; only webgpu-software accepts a software adapter', () => {
    expect(deviceCandidates('auto')).toEqual([
      { provider: 'cuda', adapters: 'hardware' },
      { provider: 'webgpu', adapters: 'hardware' },
      { provider: 'cpu', adapters: 'hardware' },
    ]);
    for (const device of DEVICES) {
      const software = deviceCandidates(device).some((c) => c.adapters === 'software');
      expect([device, software]).toEqual([device, device === 'webgpu-software']);
    }
    expect(providerCandidates('webgpu-software')).toEqual(['webgpu']);
  });

  test('parseDevice accepts the documented names and lists them when it does not', () => {
    expect(parseDevice(' WebGPU-Software ')).toBe('webgpu-software');
    expect(() => parseDevice('lavapipe')).toThrow(UsageError);
    expect(() => parseDevice('lavapipe')).toThrow('choose one of: cpu, webgpu, webgpu-software, cuda, auto');
  });
});

test("onnxruntime's failures are cut to the sentence meant for people", () => {
  const enforce =
    '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';
  expect(runtimeReason(enforce)).toBe('Failed to get a WebGPU adapter: No supported adapters');
  expect(runtimeReason('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')).toBe(
    'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
  );
  expect(runtimeReason(`first line\nsecond ${'x'.repeat(300)}`)).toBe('first line');
});
