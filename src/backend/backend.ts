/**
 * Backend choice for the tfjs layer: `GMLAYER_BACKEND` or {@link useBackend} picks
 *
 *   tensorflow  libtensorflow through @tensorflow/tfjs-node-gpu (CUDA) if installed, else
 *               @tensorflow/tfjs-node (optional peer dependencies, never installed by default)
 *   wasm        @tensorflow/tfjs-backend-wasm (ships its binary; the default here)
 *   cpu         @tensorflow/tfjs-backend-cpu (pure JavaScript, works everywhere, slowest)
 *   auto        the fastest present: tensorflow, else wasm, else cpu
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMValueError } from '../../reference/errors.js';
import { GMBackendError } from '../errors.js';
import { compileWasmLoops } from '../op/fused/wasm-loops.js';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendReport {
  /** The choice asked for (after reading GMLAYER_BACKEND). */
  requested: BackendChoice;
  /** tf.getBackend() after tf.ready(): 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** The npm package that provides it. */
  package: string;
}

const INSTALL: Record<Exclude<BackendChoice, 'auto'>, string> = {
  tensorflow:
    'npm install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2 and cuDNN 8.1); both download libtensorflow at install',
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

const PACKAGES: Record<Exclude<BackendChoice, 'auto'>, string[]> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

async function tryBackend(choice: Exclude<BackendChoice, 'auto'>): Promise<string | undefined> {
  const found = await importFirst(PACKAGES[choice]);
  if (found === undefined) return undefined;
  if (!(await tf.setBackend(choice))) return undefined;
  if (choice === 'cpu') skipNodeBanner(tf.backend());
  return found;
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

/** The backends whose packages load here, fastest first (tensorflow, wasm, cpu). */
export async function availableBackends(): Promise<Exclude<BackendChoice, 'auto'>[]> {
  const present: Exclude<BackendChoice, 'auto'>[] = [];
  for (const choice of ['tensorflow', 'wasm', 'cpu'] as const) {
    if ((await importFirst(PACKAGES[choice])) !== undefined) present.push(choice);
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
 * @param name  'auto' | 'tensorflow' | 'wasm' | 'cpu'; defaults to GMLAYER_BACKEND, else 'auto'.
 * @throws GMValueError for an unknown name; GMBackendError naming the package to install
 *         when the requested backend is absent.
 */
export async function useBackend(name: string = process.env.GMLAYER_BACKEND ?? 'auto'): Promise<BackendReport> {
  const requested = parseChoice(name);
  const order = requested === 'auto' ? (['tensorflow', 'wasm', 'cpu'] as const) : [requested];
  for (const choice of order) {
    const pkg = await tryBackend(choice);
    if (pkg !== undefined) {
      await tf.ready();
      await compileWasmLoops();
      return { requested, backend: tf.getBackend(), package: pkg };
    }
  }
  if (requested === 'auto') {
    throw new GMBackendError('backend', `one of tensorflow, wasm, cpu installed (${INSTALL.wasm})`, 'none of them');
  }
  throw new GMBackendError(
    'backend',
    `${requested} to be installed and to start (${INSTALL[requested]})`,
    `no working ${PACKAGES[requested].join(' or ')}`,
  );
}
