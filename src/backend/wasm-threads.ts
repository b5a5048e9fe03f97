/**
 * Starts tfjs-backend-wasm's threaded SIMD build in Node, so that its matrix products
 * (XNNPACK) run on several threads as they do in browsers.
 *
 * tfjs-wasm ships that build but keeps it off in Node (tfjs issue 3830). Four things stand
 * in the way; this module works around each one while the backend starts, and only then
 * (everything it replaces is put back before {@link startThreadedWasm} returns):
 *
 * 1. The flag WASM_HAS_MULTITHREAD_SUPPORT is false under Node: it is set to true.
 * 2. Emscripten's glue starts each pthread worker from a `blob:` URL of the worker script
 *    and sends it the main script as a Blob; Node's Worker refuses `blob:` URLs
 *    (ERR_WORKER_PATH) and its worker prelude reads scripts with fs. While tfjs starts,
 *    `Blob` records the text it is made of and `URL.createObjectURL` writes it to a private
 *    temporary folder and returns the file's path; the worker script gets a hook that
 *    hands it the main script's path in place of the Blob.
 * 3. The main script is a function of tfjs's rollup bundle turned back into text, so it
 *    names the bundle's imports (`require$$0` …) and `commonjsGlobal`: the file declares
 *    them first, copied from the bundle's own declarations (so they follow the release).
 * 4. tfjs caps XNNPACK's pool at half the logical cores the runtime reports, read once
 *    when its module starts, assuming two hyperthreads per core (on a 2-vCPU machine: one
 *    thread). While it starts, `os.cpus()` lists twice the threads asked for.
 *
 * Once started, the pool's threads wait for work for as long as the process lives, and
 * Emscripten holds a reference on each (Worker.ref) that would keep Node from ever
 * exiting: they are unreferenced. Nothing waits on them asynchronously (a product blocks
 * the main thread until its threads finish), so no work is cut short.
 *
 * A release that breaks a step fails the start (the caller falls back to one thread);
 * properties/backend/wasm-threads.test.ts checks the installed one end to end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** The pthread workers of the threaded build's Emscripten module (Node worker_threads). */
interface ThreadedModule {
  PThread?: { runningWorkers: { unref(): void }[] };
}

/** What the tfjs-backend-wasm package exports that this module uses. */
export interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** tfjs caps the pool at this many threads (the pthread workers its build creates up front). */
export const MAX_WASM_THREADS = 8;

const MAIN_SCRIPT_MARK = 'var WasmBackendModuleThreadedSimd';

/** The bundle's declarations of the imports its functions name (`var require$$0 = require('fs');`), and commonjsGlobal. */
function bundleDeclarations(mainScript: string): string {
  const bundle = readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
  const declared = new Map([...bundle.matchAll(/^var (require\$\$\d+) = require\('([^']+)'\);$/gm)].map((m) => [m[1], m[2]]));
  const lines = ['var commonjsGlobal = globalThis;'];
  for (const name of new Set(mainScript.match(/require\$\$\d+/g) ?? [])) {
    const module = declared.get(name);
    if (module === undefined) throw new Error(`the threaded build's script names ${name}, which its bundle does not declare`);
    lines.push(`var ${name} = require(${JSON.stringify(module)});`);
  }
  return lines.join('\n') + '\n';
}

/** The worker script with a hook that replaces the main script's Blob by the file that holds its text. */
function hookedWorkerScript(workerScript: string, mainScriptPath: string): string {
  return `${workerScript}
;{ const onLoad = self.onmessage;
   self.onmessage = (e) => { if (e.data.cmd === 'load' && typeof e.data.urlOrBlob !== 'string') e.data.urlOrBlob = ${JSON.stringify(mainScriptPath)}; onLoad(e); }; }
`;
}

/** Replaces a property of an object until the returned function puts it back. */
function replace<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): () => void {
  const original = target[key];
  target[key] = value;
  return () => {
    target[key] = original;
  };
}

/**
 * Runs `start` (which must start tfjs-wasm) with the four work-arounds above in place.
 * The scripts stay in a temporary folder until the process exits (pthread workers started
 * later read them too).
 */
async function withThreadedStart<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(os.tmpdir(), 'gmlayer-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const mainScriptPath = join(dir, 'main.cjs');
  let mainScriptWritten = false;
  const texts = new WeakMap<Blob, string>();
  const RealBlob = globalThis.Blob;
  class RecordingBlob extends RealBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0] ?? [];
      const text = parts.every((p) => typeof p === 'string') ? (parts as string[]).join('') : undefined;
      if (text === undefined) return;
      texts.set(this, text);
      if (text.startsWith(MAIN_SCRIPT_MARK)) {
        writeFileSync(mainScriptPath, bundleDeclarations(text) + text);
        mainScriptWritten = true;
      }
    }
  }
  const realCreateObjectURL = URL.createObjectURL.bind(URL);
  const createObjectURL = (blob: Blob): string => {
    const text = texts.get(blob);
    if (text === undefined) return realCreateObjectURL(blob);
    if (!mainScriptWritten) throw new Error('the threaded build asked for its worker before making its main script');
    const path = join(dir, 'worker.cjs');
    writeFileSync(path, hookedWorkerScript(text, mainScriptPath));
    return path;
  };
  const realCpus = os.cpus.bind(os);
  const cpus = () => {
    const found = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => found[i % found.length]);
  };
  const restore = [
    replace(globalThis, 'Blob', RecordingBlob),
    replace(URL, 'createObjectURL', createObjectURL),
    replace(os, 'cpus', cpus),
  ];
  try {
    return await start();
  } finally {
    for (const put of restore.reverse()) put();
  }
}

/**
 * Starts the wasm backend on its threaded build with `threads` XNNPACK threads (2 to
 * {@link MAX_WASM_THREADS}) and makes it the active backend. The wasm backend must be
 * registered and not started (src/backend/backend.ts unregisters a running one first).
 *
 * @returns the number of threads the backend runs, or why it did not start threaded
 *          (the backend is then not started: the caller starts it on one thread).
 */
export async function startThreadedWasm(pkg: WasmPackage, threads: number): Promise<{ threads: number } | { failed: string }> {
  const warn = console.warn;
  let why = 'tf.setBackend refused it';
  // tfjs reports a failed start as two console warnings: keep the reason, not the noise
  console.warn = (...args: unknown[]) => {
    why = args.map(String).join(' ');
  };
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    pkg.setThreadsCount(threads);
    const started = await withThreadedStart(threads, () => tf.setBackend('wasm'));
    if (!started) return { failed: why };
    const { wasm } = tf.backend() as unknown as { wasm: ThreadedModule };
    for (const worker of wasm.PThread?.runningWorkers ?? []) worker.unref();
    return { threads: pkg.getThreadsCount() };
  } catch (error) {
    return { failed: (error as Error).message };
  } finally {
    console.warn = warn;
  }
}
