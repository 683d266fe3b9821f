/**
 * Which GPU adapter the WebGPU provider runs on, and how to tell a real GPU from a software
 * renderer.
 *
 * onnxruntime-node 1.30 neither lets a session pick the adapter nor tells which one it got:
 * its WebGPU provider asks Dawn for one adapter with `powerPreference: high-performance`
 * (provider options `ep.webgpuexecutionprovider.*` offer a backend type, a power preference
 * and a context id, not an adapter index, and no adapter information comes back). Dawn ranks
 * adapters discrete GPU, integrated GPU, then CPU (its `SortAdapters`), so it lands on a
 * software renderer only when no hardware adapter exists.
 *
 * The one place that names the device is the Vulkan loader (Dawn's backend on Linux): with
 * `VK_LOADER_DEBUG=driver` it logs `Using "<device name>" with driver: "<library>"` when a
 * logical device is created (loader 1.3.211 and later). The GPU process (gpu-process.ts)
 * runs with that setting, its native output goes to a log file we read, and the line names
 * the adapter the session really runs on. Where there is no Vulkan loader (Windows, macOS)
 * the adapter stays unnamed.
 *
 * A software renderer is used only when asked for by name: the loader's
 * `VK_LOADER_DRIVERS_SELECT` (loader 1.3.234 and later) then shows Dawn the software drivers
 * alone, so it picks one even on a machine that also has a GPU.
 */

/** The adapter a WebGPU session runs on, as the Vulkan loader named it. */
export interface AdapterInfo {
  /** The Vulkan device name, e.g. `NVIDIA H100 80GB HBM3` or `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  readonly name: string;
  /** The Vulkan driver library, e.g. `libGLX_nvidia.so.0` or `libvulkan_lvp.so`. */
  readonly driver: string;
  /** The software renderer's name when this is one (`lavapipe`, `SwiftShader`), else null. */
  readonly software: string | null;
}

interface SoftwareRenderer {
  readonly name: string;
  /** Glob on the driver's manifest file name, as `VK_LOADER_DRIVERS_SELECT` matches it. */
  readonly manifest: string;
  /** Matches the driver library's file name. */
  readonly library: RegExp;
}

/** Vulkan drivers that run on the CPU. */
const SOFTWARE_RENDERERS: readonly SoftwareRenderer[] = Object.freeze([
  { name: 'lavapipe', manifest: 'lvp_icd*', library: /(^|\/)libvulkan_lvp\.so/ },
  { name: 'SwiftShader', manifest: '*swiftshader*', library: /swiftshader/i },
]);

/** The loader's line at device creation (loader.c, `loader_create_device_chain`). */
const DEVICE_LINE = /Using "(.*)" with driver: "(.*)"/;

/** The adapter named by the last device-creation line of a Vulkan loader log, or null. */
export function adapterFromLoaderLog(log: string): AdapterInfo | null {
  let found: AdapterInfo | null = null;
  for (const line of log.split('\n')) {
    const match = DEVICE_LINE.exec(line);
    if (!match) continue;
    const driver = match[2]!;
    found = { name: match[1]!, driver, software: SOFTWARE_RENDERERS.find((r) => r.library.test(driver))?.name ?? null };
  }
  return found;
}

/**
 * Environment for a process whose WebGPU sessions follow `policy`: the loader names the device
 * it creates (see above), and a `software` process sees software drivers only.
 */
export function vulkanEnvironment(policy: 'hardware' | 'software', base: NodeJS.ProcessEnv): Record<string, string> {
  const debug = base.VK_LOADER_DEBUG ? `${base.VK_LOADER_DEBUG},driver` : 'driver';
  const env: Record<string, string> = { VK_LOADER_DEBUG: debug };
  if (policy === 'software') env.VK_LOADER_DRIVERS_SELECT = SOFTWARE_RENDERERS.map((r) => r.manifest).join(',');
  return env;
}

/** How a user names an adapter in one line: `llvmpipe (LLVM 15.0.6, 256 bits)` + ` (lavapipe, a software renderer)`. */
export function describeAdapter(adapter: AdapterInfo): string {
  return adapter.software ? `${adapter.name} (${adapter.software}, a software renderer)` : adapter.name;
}
