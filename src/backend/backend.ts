/**
 * Backend choice for the tfjs layer: `GMLAYER_BACKEND` or {@link useBackend} picks
 *
 *   tensorflow  libtensorflow through @tensorflow/tfjs-node-gpu (CUDA) if installed, else
 *               @tensorflow/tfjs-node (optional peer dependencies, never installed by default)
 *   webgpu      @tensorflow/tfjs-backend-webgpu on a WebGPU adapter of Dawn's Node binding
 *               (the `webgpu` package; optional peers): a hardware adapter, else Mesa's
 *               software one (src/backend/webgpu.ts)
 *   wasm        @tensorflow/tfjs-backend-wasm (ships its binary; the default here), on one
 *               thread or, with the `threads` option, its threaded build
 *               (src/backend/wasm-threads.ts)
 *   cpu         @tensorflow/tfjs-backend-cpu (pure JavaScript, works everywhere, slowest)
 *   auto        the fastest present: tensorflow, else webgpu on a hardware adapter (never a
 *               software one), else wasm, else cpu
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { GMValueError } from '../../reference/errors.js';
import { refuseUnknownFields } from '../../reference/validate.js';
import { GMBackendError } from '../errors.js';
import { compileWasmLoops } from '../op/fused/wasm-loops.js';
import { MAX_WASM_THREADS, startThreadedWasm, type WasmPackage } from './wasm-threads.js';
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
  /** On wasm: the threads its matrix products run on. */
  threads?: number;
  /** On wasm, when more threads were asked for than run: why the threaded build did not start. */
  threadsFallback?: string;
}

/** Options of {@link useBackend}. */
export interface BackendOptions {
  /**
   * wasm only: the threads tfjs-wasm's matrix products (XNNPACK) run on. 1 is its
   * single-threaded build (tfjs's own choice in Node); 2 to 8 its threaded build; 'auto'
   * the CPUs this process may use (os.availableParallelism), at most 8. Default:
   * GMLAYER_WASM_THREADS, else 1. The count is fixed when the wasm backend starts: asking
   * another one later restarts it, which is refused while it holds tensors.
   */
  threads?: number | 'auto';
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

type Started = { pkg: string; adapter?: AdapterReport; threads?: number; threadsFallback?: string };

/**
 * Starts one backend; undefined when its package is absent or it fails to start. For
 * webgpu, a missing adapter throws GMBackendError saying why (the caller decides
 * whether that ends the search); a software adapter is used only when `allowSoftware`.
 */
async function tryBackend(choice: Concrete, allowSoftware: boolean, threads: number): Promise<Started | undefined> {
  const adapter = choice === 'webgpu' ? await registerWebGPU(allowSoftware) : undefined;
  const found = await importFirst(PACKAGES[choice]);
  if (found === undefined) return undefined;
  if (choice === 'wasm') return startWasm((await import(found)) as WasmPackage, threads, found);
  if (!(await tf.setBackend(choice))) return undefined;
  if (choice === 'cpu') skipNodeBanner(tf.backend());
  return { pkg: found, ...(adapter !== undefined && { adapter }) }; // an adapter only on webgpu: no key at all elsewhere
}

/**
 * Starts wasm on `threads` threads, falling back to one thread when the threaded build
 * does not start. A wasm backend already running on another count is restarted: its
 * thread count is fixed when it starts.
 */
async function startWasm(pkg: WasmPackage, threads: number, found: string): Promise<Started | undefined> {
  // tf.findBackend would start a registered backend that has not started: read the registry
  const running = tf.engine().registry.wasm as tf.KernelBackend | undefined;
  if (running !== undefined) {
    const current = pkg.getThreadsCount();
    if (current === threads) return (await tf.setBackend('wasm')) ? { pkg: found, threads } : undefined;
    unregisterForRestart(running, threads, current);
  }
  if (threads === 1) return singleThreaded(pkg, found);
  const threaded = await startThreadedWasm(pkg, threads);
  // a failed start leaves the factory registered and no instance: it can start again
  return 'threads' in threaded ? { pkg: found, threads: threaded.threads } : singleThreaded(pkg, found, threaded.failed);
}

async function singleThreaded(pkg: WasmPackage, found: string, threadsFallback?: string): Promise<Started | undefined> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  pkg.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) return undefined;
  return { pkg: found, threads: pkg.getThreadsCount(), ...(threadsFallback !== undefined && { threadsFallback }) };
}

/**
 * Unregisters the wasm backend, to be started anew, keeping its factory. Refused while
 * `running` holds tensors: they would go with it.
 */
function unregisterForRestart(running: tf.KernelBackend, threads: number, current: number): void {
  if (running.numDataIds() > 0) {
    throw new GMBackendError(
      'options.threads',
      `the thread count the wasm backend started with (${current}): another one restarts it, and it holds ${running.numDataIds()} tensors; choose threads before making tensors`,
      String(threads),
    );
  }
  const entry = tf.engine().registryFactory.wasm;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', entry.factory, entry.priority);
}

/**
 * A wasm thread count: an integer from 1 to 8 (or its decimal text), or 'auto' (the CPUs
 * this process may use, at most 8).
 * @throws GMValueError naming `field`.
 */
export function parseThreads(threads: number | string, field = 'threads'): number {
  if (threads === 'auto') return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  const n = typeof threads === 'number' ? threads : /^\d+$/.test(threads) ? Number(threads) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_WASM_THREADS) return n;
  throw new GMValueError(field, `an integer from 1 to ${MAX_WASM_THREADS}, or 'auto'`, JSON.stringify(threads));
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
 * @param options  `threads` for wasm ({@link BackendOptions}).
 * @throws GMValueError for an unknown name or thread count, GMShapeError for an unknown
 *         option; GMBackendError naming what
 *         to install when the requested backend is absent (for webgpu, also why no
 *         adapter was found), or for a thread count that would restart a wasm backend
 *         holding tensors.
 */
export async function useBackend(name: string = process.env.GMLAYER_BACKEND ?? 'auto', options: BackendOptions = {}): Promise<BackendReport> {
  const requested = parseChoice(name);
  refuseUnknownFields(options as Record<string, unknown>, ['threads'], 'options');
  const threads = options.threads !== undefined ? parseThreads(options.threads, 'options.threads') : parseThreads(process.env.GMLAYER_WASM_THREADS ?? 1, 'GMLAYER_WASM_THREADS');
  const order = requested === 'auto' ? (['tensorflow', 'webgpu', 'wasm', 'cpu'] as const) : [requested];
  for (const choice of order) {
    const started = await tryBackend(choice, requested !== 'auto', threads).catch((error: unknown) => {
      if (requested === 'auto' && choice === 'webgpu' && error instanceof GMBackendError) return undefined; // no adapter: the next one
      throw error;
    });
    if (started !== undefined) {
      await tf.ready();
      await compileWasmLoops();
      const { pkg, ...details } = started;
      return { requested, backend: tf.getBackend(), package: pkg, ...details };
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
