/**
 * Backend choice (src/backend/backend.ts): what useBackend reports for each choice, what
 * 'auto' and GMLAYER_BACKEND pick, the cpu banner skipped, and the refusals. The wasm
 * thread counts have their own suite (wasm-threads.test.ts), as does webgpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import { availableBackends, useBackend } from '../../src/backend/backend.js';
import { GMBackendError } from '../../src/errors.js';
import { BACKENDS_PRESENT } from '../support/backends.js';
import { restoreAfterEach } from '../support/env.js';

const tensorflowPresent = BACKENDS_PRESENT.includes('tensorflow');
restoreAfterEach('GMLAYER_BACKEND');

describe('useBackend', () => {
  it('reports the choice, the backend that runs and its package; wasm adds its threads', async () => {
    // Strictly: no key of another backend, not even one set to undefined.
    expect(await useBackend('cpu')).toStrictEqual({ requested: 'cpu', backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toStrictEqual({ requested: 'wasm', backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it("'auto' takes the fastest backend that starts here, never a software adapter", async () => {
    const [fastest] = await availableBackends();
    expect(await useBackend('auto')).toMatchObject({ requested: 'auto', backend: fastest });
    expect(['tensorflow', 'webgpu', 'wasm']).toContain(fastest); // wasm ships with the package: cpu is never the fastest
  });

  it('takes GMLAYER_BACKEND when no name is given, else auto', async () => {
    process.env.GMLAYER_BACKEND = 'cpu';
    expect(await useBackend()).toMatchObject({ requested: 'cpu', backend: 'cpu' });
    delete process.env.GMLAYER_BACKEND;
    expect(await useBackend()).toMatchObject({ requested: 'auto' });
    process.env.GMLAYER_BACKEND = 'gpu';
    await expect(useBackend()).rejects.toThrow('backend: expected one of auto, tensorflow, webgpu, wasm, cpu, got "gpu"');
  });

  it('refuses an unknown name as bad input, naming the choices', async () => {
    await expect(useBackend('webgl2')).rejects.toThrow(GMValueError);
    await expect(useBackend('webgl2')).rejects.toThrow('backend: expected one of auto, tensorflow, webgpu, wasm, cpu, got "webgl2"');
  });

  it('refuses a bad thread count by its option\'s name, before starting anything', async () => {
    await expect(useBackend('wasm', { threads: 9 })).rejects.toThrow("options.threads: expected an integer from 1 to 8, or 'auto', got 9");
  });

  it('refuses an unknown option by name', async () => {
    await expect(useBackend('cpu', { thread: 2 } as never)).rejects.toThrow(GMShapeError);
    await expect(useBackend('cpu', { thread: 2 } as never)).rejects.toThrow(/^options\.thread: expected one of the fields threads/);
  });

  it.skipIf(tensorflowPresent)('refuses an absent backend, naming what to install, and leaves the running one', async () => {
    await useBackend('cpu');
    const absent = useBackend('tensorflow');
    await expect(absent).rejects.toThrow(GMBackendError);
    await expect(absent).rejects.toHaveProperty('name', 'GMBackendError'); // what a stack trace or a log shows first
    await expect(absent).rejects.toThrow(
      'backend: expected tensorflow to be installed and to start (npm install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2 and cuDNN 8.1); both download libtensorflow at install), got no working @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node',
    );
    expect(tf.getBackend()).toBe('cpu');
  });

  it("skips tfjs-backend-cpu's Node banner when cpu is chosen through it, as tfjs's own setBackend does not", async () => {
    // A new cpu backend, as a new process makes, carries the flag its first write prints
    // the banner by: if a release drops the flag, this says so.
    const made = (await tf.engine().registryFactory.cpu.factory()) as unknown as { firstUse?: boolean; dispose: () => void };
    expect(made.firstUse).toBe(true);
    made.dispose();
    const running = tf.findBackend('cpu') as unknown as { firstUse?: boolean };
    running.firstUse = true;
    await tf.setBackend('cpu');
    expect(running.firstUse).toBe(true);
    await useBackend('cpu');
    expect(running.firstUse).toBe(false);
  });
});

describe('availableBackends', () => {
  it('lists the backends that start here, fastest first: wasm and cpu always, webgpu only with the adapters allowed', async () => {
    const hardware = await availableBackends();
    const any = await availableBackends({ allowSoftware: true });
    expect(hardware.slice(-2)).toEqual(['wasm', 'cpu']);
    expect(any.slice(-2)).toEqual(['wasm', 'cpu']);
    expect(hardware.includes('tensorflow')).toBe(tensorflowPresent);
    expect(any.includes('webgpu')).toBe(BACKENDS_PRESENT.includes('webgpu')); // the suites' own search (global-setup) allows software
    const order = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
    expect([...any].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(any);
    expect(hardware.every((b) => any.includes(b))).toBe(true);
  });
});
