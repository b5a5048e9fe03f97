/**
 * Backend choice for the tfjs layer: `GMLAYER_BACKEND` or {@link useBackend} picks
 *
 *   tensorflow  libtensorflow through @tensorflow/tfjs-node-gpu (CUDA) if installed, else
 *               @tensorflow/tfjs-node (optional peer dependencies, never installed by default)
 *   webgpu      @tensorflow/tfjs-backend-webgpu on a WebGPU adapter of Dawn's Node binding
 *               (the `webgpu` package; optional peers): a hardware adapter, else Mesa's
 *               software one (src/backend/webgpu.ts)
 *   wasm        @tensorflow/tfjs-backend-wasm (ships its binary; the default here)
 *   cpu         @tensorflow/tfjs-backend-cpu (pure JavaScript, works everywhere, slowest)
 *   auto        the fastest present: tensorflow, else webgpu on a hardware adapter (never a
 *               software one), else wasm, else cpu
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMValueError } from '../../reference/errors.js';
import { GMBackendError } from '../errors.js';
import { compileWasmLoops } from '../op/fused/wasm-loops.js';
import { findAdapter, registerWebGPU, WEBGPU_INSTALL, type AdapterReport } from './webgpu.js';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendReport {
  /** The choice asked for (after reading GMLAYER_BACKEND). */
  requested: BackendChoice;
  /** tf.getBackend() after tf.ready(): 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  backend: string;
  /** The npm package that provides it. */
  package: string;
  /** On webgpu: the adapter that runs it (a software adapter says so). */
  adapter?: AdapterReport;
}

type Concrete = Exclude<BackendChoice, 'auto'>;

const INSTALL: Record<Concrete, string> = {
  tensorflow:
    'npm install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2 and cuDNN 8.1); both download libtensorflow at install',
  webgpu: WEBGPU_INSTALL,
  wasm: 'npm install @tensorflow/tfjs-backend-wasm',
  cpu: 'npm install @tensorflow/tfjs-backend-cpu',
};

/** Imports the first package that loads; undefined if none does. */
async function importFirst(packages: string[]): Promise<string | undefined> {
  for (const name of packages) {
    try {
      await import(name);
      return name;
    } catch {
      // not installed (or its native part failed to load): try the next one
    }
  }
  return undefined;
}

const PACKAGES: Record<Concrete, string[]> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

/**
 * Starts one backend; undefined when its package is absent or it fails to start. For
 * webgpu, a missing adapter throws GMBackendError saying why (the caller decides
 * whether that ends the search); a software adapter is used only when `allowSoftware`.
 */
async function tryBackend(choice: Concrete, allowSoftware: boolean): Promise<{ pkg: string; adapter?: AdapterReport } | undefined> {
  const adapter = choice === 'webgpu' ? await registerWebGPU(allowSoftware) : undefined;
  const found = await importFirst(PACKAGES[choice]);
  if (found === undefined) return undefined;
  if (!(await tf.setBackend(choice))) return undefined;
  if (choice === 'cpu') skipNodeBanner(tf.backend());
  return { pkg: found, adapter };
}

/**
 * tfjs-backend-cpu prints a banner suggesting tfjs-node on its first write in Node.
 * Whoever chose cpu through useBackend chose it on purpose (and the report says which
 * backend runs), so the banner is skipped by marking the backend as used already.
 * Touches only the backend's own `firstUse` flag; does nothing if a release lacks it.
 */
function skipNodeBanner(backend: tf.KernelBackend): void {
  const flagged = backend as unknown as { firstUse?: boolean };
  if (flagged.firstUse === true) flagged.firstUse = false;
}

/**
 * The backends that would start here, fastest first (tensorflow, webgpu, wasm, cpu).
 * webgpu counts when a hardware adapter exists, or any adapter with `allowSoftware`.
 */
export async function availableBackends(options: { allowSoftware?: boolean } = {}): Promise<Concrete[]> {
  const present: Concrete[] = [];
  for (const choice of ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const) {
    if ((await importFirst(PACKAGES[choice])) === undefined) continue;
    if (choice === 'webgpu' && (await findAdapter(options.allowSoftware ?? false)).found === undefined) continue;
    present.push(choice);
  }
  return present;
}

function parseChoice(name: string): BackendChoice {
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendChoice;
  throw new GMValueError('backend', `one of ${BACKENDS.join(', ')}`, JSON.stringify(name));
}

/**
 * Selects and initialises a tfjs backend, compiles the fused kernels' WebAssembly
 * module asynchronously (as browsers require), and reports which backend runs.
 *
 * @param name  'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'; defaults to
 *              GMLAYER_BACKEND, else 'auto'. 'webgpu' takes a hardware adapter, else a
 *              software one; 'auto' never takes a software adapter.
 * @throws GMValueError for an unknown name; GMBackendError naming what to install when
 *         the requested backend is absent (for webgpu, also why no adapter was found).
 */
export async function useBackend(name: string = process.env.GMLAYER_BACKEND ?? 'auto'): Promise<BackendReport> {
  const requested = parseChoice(name);
  const order = requested === 'auto' ? (['tensorflow', 'webgpu', 'wasm', 'cpu'] as const) : [requested];
  for (const choice of order) {
    const started = await tryBackend(choice, requested !== 'auto').catch((error: unknown) => {
      if (requested === 'auto' && error instanceof GMBackendError) return undefined; // no adapter: the next one
      throw error;
    });
    if (started !== undefined) {
      await tf.ready();
      await compileWasmLoops();
      return { requested, backend: tf.getBackend(), package: started.pkg, ...(started.adapter && { adapter: started.adapter }) };
    }
  }
  if (requested === 'auto') {
    throw new GMBackendError('backend', `one of tensorflow, webgpu, wasm, cpu installed (${INSTALL.wasm})`, 'none of them');
  }
  throw new GMBackendError(
    'backend',
    `${requested} to be installed and to start (${INSTALL[requested]})`,
    `no working ${PACKAGES[requested].join(' or ')}`,
  );
}
