/**
 * The tfjs `webgpu` backend in Node, on a WebGPU adapter of Dawn's Node binding (the
 * `webgpu` npm package, whose binary ships inside the package) and
 * @tensorflow/tfjs-backend-webgpu. Both are optional peer dependencies.
 *
 * tfjs-backend-webgpu registers its own factory only where `navigator.gpu` exists, and
 * that factory takes the default adapter, which on a machine without a GPU driver is none
 * at all. So gmlayer finds the adapter itself and registers the backend on it:
 *
 *   1. hardware adapters first: Dawn's Vulkan backend, then the platform's default
 *      (Metal, D3D12), then OpenGL ES;
 *   2. else, when allowed, a software adapter: Mesa's llvmpipe through Dawn's OpenGL ES
 *      backend in WebGPU's compatibility mode (Dawn's Vulkan backend refuses Debian 12's
 *      lavapipe). EGL needs EGL_PLATFORM=surfaceless when no display exists; it is set
 *      here when the environment leaves it unset.
 *
 * The tfjs backend then needs WebGPU's globals (`navigator.gpu`, which it checks for,
 * GPUBufferUsage, GPUMapMode, …): those missing are defined on globalThis, from the
 * binding and the chosen adapter's GPU object.
 */
import { readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { GMBackendError } from '../errors.js';

/** What the backend report and the CLI say about the adapter that runs the layer. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  /** The device's name, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe-llvm-15-0-6-256-bits-" (empty when Dawn gives none). */
  device: string;
  /** The driver's own words, e.g. "OpenGL version OpenGL ES 3.2 Mesa 22.3.6". */
  description: string;
  /** Dawn's backend: vulkan, metal, d3d12 or opengles. */
  backend: string;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader, WARP): correct, never fast. */
  software: boolean;
}

/** The parts of the WebGPU API used here (the `webgpu` package's types are optional). */
interface Adapter {
  info: { vendor: string; architecture: string; description: string; device: string; isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: object): Promise<unknown>;
}
interface Gpu {
  requestAdapter(options: object): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  /** GPUBufferUsage, GPUMapMode and the other WebGPU globals. */
  globals: Record<string, unknown>;
}

/** The npm packages, and the Debian packages of the software adapter. */
export const WEBGPU_INSTALL =
  'npm install webgpu @tensorflow/tfjs-backend-webgpu; without a GPU driver, the software adapter needs Mesa (Debian/Ubuntu: apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)';

interface Attempt {
  backend: string;
  flags: string[];
  featureLevel: 'core' | 'compatibility';
}

/** Dawn's default backend on this platform (the second attempt). */
function platformBackend(): string {
  return process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
}

const ATTEMPTS: readonly Attempt[] = [
  { backend: 'vulkan', flags: ['backend=vulkan'], featureLevel: 'core' },
  ...(platformBackend() === 'vulkan' ? [] : [{ backend: platformBackend(), flags: [], featureLevel: 'core' as const }]),
  { backend: 'opengles', flags: ['backend=opengles'], featureLevel: 'compatibility' },
];

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|swrast|microsoft basic render|\bwarp\b/i;

/** Whether the adapter is a CPU rasteriser, from its fallback flag or its driver's name. */
export function isSoftwareAdapter(info: Pick<Adapter['info'], 'description' | 'device' | 'vendor' | 'isFallbackAdapter'>): boolean {
  return info.isFallbackAdapter === true || SOFTWARE_NAMES.test(`${info.vendor} ${info.device} ${info.description}`);
}

interface Found {
  dawn: DawnModule;
  gpu: Gpu;
  adapter: Adapter;
  report: AdapterReport;
}

let probed: Promise<{ found: Found[]; why: string }> | undefined;

/** Every adapter the attempts find, in attempt order (probed once per process). */
function probeAdapters(): Promise<{ found: Found[]; why: string }> {
  probed ??= (async () => {
    let dawn: DawnModule;
    try {
      dawn = (await import('webgpu')) as unknown as DawnModule;
    } catch (error) {
      return { found: [], why: `no loadable webgpu package (${(error as Error).message.split('\n')[0]})` };
    }
    if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
    const found: Found[] = [];
    for (const { backend, flags, featureLevel } of ATTEMPTS) {
      try {
        const gpu = dawn.create(flags);
        const adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
        if (adapter === null) continue;
        const { vendor, architecture, description, device } = adapter.info;
        const report = { vendor, architecture, device, description: description || device, backend, software: isSoftwareAdapter(adapter.info) };
        found.push({ dawn, gpu, adapter, report });
      } catch {
        // this Dawn backend is not built in, or its driver does not start: try the next
      }
    }
    return { found, why: found.length === 0 ? 'no adapter (no Vulkan, Metal or D3D12 driver, and EGL did not start)' : '' };
  })();
  return probed;
}

/**
 * Whether a hardware adapter can exist: on Linux a GPU driver exposes a device node
 * (/dev/dri/renderD* for Mesa's and AMD's drivers, /dev/nvidia* for NVIDIA's); elsewhere
 * assumed. Without one, a search for hardware only would start Dawn for nothing (and
 * Dawn prints a warning to stderr for each backend it cannot load).
 */
function hardwareMayExist(): boolean {
  if (process.platform !== 'linux') return true;
  const has = (dir: string, prefix: string) => {
    try {
      return readdirSync(dir).some((name) => name.startsWith(prefix));
    } catch {
      return false;
    }
  };
  return has('/dev/dri', 'renderD') || has('/dev', 'nvidia');
}

/** The adapter gmlayer would run webgpu on, or why there is none. */
export async function findAdapter(allowSoftware: boolean): Promise<{ found?: Found; why: string }> {
  if (!allowSoftware && !hardwareMayExist()) return { why: 'no GPU device (no /dev/dri/renderD* or /dev/nvidia*), so no hardware adapter' };
  const { found, why } = await probeAdapters();
  const pick = found.find((f) => !f.report.software) ?? (allowSoftware ? found[0] : undefined);
  if (pick !== undefined) return { found: pick, why: '' };
  return { why: found.length > 0 ? `only a software adapter (${found[0].report.description}), which 'auto' never takes` : why };
}

let registered: AdapterReport | undefined;

/**
 * Registers tfjs's `webgpu` backend on the first adapter found (hardware first; software
 * only when `allowSoftware`), once per process. Does not switch to it.
 *
 * @returns the adapter's report.
 * @throws GMBackendError naming what to install when a package or an adapter is missing.
 */
export async function registerWebGPU(allowSoftware: boolean): Promise<AdapterReport> {
  if (registered !== undefined && (allowSoftware || !registered.software)) return registered;
  const { found, why } = await findAdapter(allowSoftware);
  if (found === undefined) throw new GMBackendError('backend', `a WebGPU adapter (${WEBGPU_INSTALL})`, why);
  let backendModule: { WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend };
  try {
    backendModule = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as typeof backendModule;
  } catch (error) {
    throw new GMBackendError('backend', `@tensorflow/tfjs-backend-webgpu installed (${WEBGPU_INSTALL})`, (error as Error).message.split('\n')[0]);
  }
  const { dawn, adapter, gpu, report } = found;
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: Gpu };
  if (nav.gpu === undefined) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  // The limits tfjs's own factory asks for: the adapter's, not WebGPU's defaults.
  const limitNames = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(limitNames.map((n) => [n, adapter.limits[n]])) });
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(device, adapter.info));
  registered = report;
  return report;
}

/** The adapter of the registered webgpu backend, if any. */
export function webgpuAdapter(): AdapterReport | undefined {
  return registered;
}
