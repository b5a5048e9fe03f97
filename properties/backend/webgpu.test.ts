/**
 * The webgpu backend (src/backend/webgpu.ts): how adapters are classified, what
 * useBackend reports, that 'auto' never takes a software adapter, and the error that
 * names what to install. Tests that need an adapter run where global-setup found one.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { availableBackends, useBackend } from '../../src/backend/backend.js';
import { findAdapter, isSoftwareAdapter, registerWebGPU, webgpuAdapter } from '../../src/backend/webgpu.js';
import { GMBackendError } from '../../src/errors.js';
import { resolveKernels } from '../../src/op/gm-op.js';

describe('isSoftwareAdapter', () => {
  const info = (device: string, description = '', isFallbackAdapter?: boolean) => ({ vendor: '', device, description, isFallbackAdapter });
  it.each([
    ['llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'],
    ['', 'llvmpipe (LLVM 15.0.6, 256 bits)'],
    ['lavapipe', ''],
    ['SwiftShader Device (Subzero)', ''],
    ['Microsoft Basic Render Driver', ''],
  ])('%s %s is software', (device, description) => expect(isSoftwareAdapter(info(device, description))).toBe(true));
  it.each([['NVIDIA H100 80GB HBM3', 'NVIDIA 550.54'], ['AMD Radeon RX 7900', 'RADV NAVI31'], ['Apple M2', 'Metal']])('%s is hardware', (device, description) =>
    expect(isSoftwareAdapter(info(device, description))).toBe(false),
  );
  it('trusts the fallback flag', () => expect(isSoftwareAdapter(info('Some GPU', '', true))).toBe(true));
  it.each([['softpipe', ''], ['', 'Mesa swrast'], ['WARP', ''], ['', 'Microsoft Basic Render Driver'.toUpperCase()]])('%s %s is software (any case)', (device, description) =>
    expect(isSoftwareAdapter(info(device, description))).toBe(true),
  );
  it('reads the vendor too, and WARP only as a word', () => {
    expect(isSoftwareAdapter({ vendor: 'llvmpipe', device: '', description: '' })).toBe(true);
    expect(isSoftwareAdapter(info('Warpspeed X1', ''))).toBe(false);
    expect(isSoftwareAdapter(info('Some GPU', '', false))).toBe(false);
  });
});

/** Whether this machine has a GPU device node, as findAdapter looks for one on Linux. */
function gpuDeviceNode(): boolean {
  const has = (dir: string, prefix: string) => existsSync(dir) && readdirSync(dir).some((name) => name.startsWith(prefix));
  return has('/dev/dri', 'renderD') || has('/dev', 'nvidia');
}

describe.skipIf(process.platform !== 'linux' || gpuDeviceNode())('findAdapter on Linux without a GPU device node', () => {
  it('says so without starting Dawn when only hardware is allowed', async () => {
    expect(await findAdapter(false)).toEqual({ why: 'no GPU device (no /dev/dri/renderD* or /dev/nvidia*), so no hardware adapter' });
  });
});

const adapter = inject('webgpuAdapter');

describe.skipIf(adapter === undefined)('webgpu with an adapter present', () => {
  it('useBackend("webgpu") runs webgpu and names its adapter', async () => {
    const report = await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(report).toMatchObject({ requested: 'webgpu', backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu' });
    expect(report.adapter).toMatchObject({ description: expect.any(String), backend: expect.stringMatching(/^(vulkan|metal|d3d12|opengles)$/), software: expect.any(Boolean) });
    expect(await tf.add(tf.tensor1d([1, 2]), 1).data()).toEqual(new Float32Array([2, 3]));
  });

  it('probes once and registers once: the same adapter and report each time, with the WebGPU globals tfjs needs defined', async () => {
    const first = await findAdapter(true);
    expect((await findAdapter(true)).found).toBe(first.found);
    const report = await registerWebGPU(true);
    expect(await registerWebGPU(true)).toBe(report);
    expect(webgpuAdapter()).toBe(report);
    expect(report).toEqual(first.found!.report);
    const { vendor, architecture, device, description } = first.found!.adapter.info;
    expect(report).toMatchObject({ vendor, architecture, device, description: description || device, software: isSoftwareAdapter(first.found!.adapter.info) });
    expect(report.description).not.toBe('');
    expect(adapter).toBe(`${report.description} via ${report.backend}${report.software ? ', software' : ''}`); // global-setup's search found the same
    for (const name of ['GPUBufferUsage', 'GPUMapMode', 'GPUShaderStage']) expect(name in globalThis).toBe(true);
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBe(first.found!.gpu);
  });

  it("asks the device for the adapter's own limits where tfjs's factory does, not WebGPU's defaults", async () => {
    await useBackend('webgpu');
    const { adapter: found } = (await findAdapter(true)).found!;
    const { device } = tf.backend() as unknown as { device: { limits: Record<string, number> } };
    const names = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
    for (const name of names) expect(device.limits[name], name).toBe(found.limits[name]);
    await useBackend('cpu');
  });

  it("gmLayer's 'auto' kernels on webgpu are the fused WGSL ones", async () => {
    await useBackend('webgpu');
    expect(resolveKernels('auto')).toBe('fused');
    expect(resolveKernels('composite')).toBe('composite');
  });

  it("'auto' takes webgpu only on a hardware adapter", async () => {
    const { found } = await findAdapter(true);
    const report = await useBackend('auto');
    if (found!.report.software) {
      expect(report.backend).not.toBe('webgpu');
      expect(await availableBackends()).not.toContain('webgpu');
      expect(await availableBackends({ allowSoftware: true })).toContain('webgpu');
      await expect(registerWebGPU(false)).rejects.toThrow(/backend: expected a WebGPU adapter \(npm install webgpu @tensorflow\/tfjs-backend-webgpu; .*apt-get install libegl1 .*\), got (only a software adapter|no GPU device)/);
    } else {
      expect(['tensorflow', 'webgpu']).toContain(report.backend);
    }
    await useBackend('cpu');
  });
});

describe.skipIf(adapter !== undefined)('webgpu without an adapter', () => {
  it('useBackend("webgpu") throws GMBackendError naming what to install', async () => {
    await expect(useBackend('webgpu')).rejects.toThrow(GMBackendError);
    await expect(useBackend('webgpu')).rejects.toThrow(/npm install webgpu @tensorflow\/tfjs-backend-webgpu/);
    // naming the missing adapter, not a missing package
    await expect(useBackend('webgpu')).rejects.toThrow(/^backend: expected a WebGPU adapter \(.*\), got no (loadable webgpu package|adapter)/);
  });
});
