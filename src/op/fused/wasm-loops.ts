/**
 * The compiled loops of src/op/fused/wasm/gm-loops.wat, run on tensors of a host backend
 * (src/op/fused/host-memory.ts): in place on tfjs-wasm's own memory, otherwise (cpu, or a wasm
 * heap this module cannot import, such as a threaded build's shared memory) on a private
 * memory the arguments are copied into and the results out of.
 *
 * Why compiled loops: tfjs-wasm runs SIMD code only inside its own kernels, one per op,
 * and JavaScript loops over K×L×d run several times slower than that. The loops here do a step's parameter-sized work in three
 * passes over U, and its batch-sized work (row scaling, the sums over components) in one
 * pass each.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GMInternalError } from '../../errors.js';
import type { HostMemory } from './host-memory.js';
import { GM_LOOPS_WASM } from './wasm/gm-loops.wasm.js';

/** The loops the module exports; each takes sizes, then input and output byte addresses. */
export type LoopName = 'rowMaxAbs' | 'scaleRows' | 'prepare' | 'componentTerms' | 'mixOutputs' | 'componentGrads' | 'paramGrads';
type Loops = Record<LoopName, (...args: number[]) => void>;

const BYTES = Uint8Array.from(atob(GM_LOOPS_WASM), (ch) => ch.charCodeAt(0));

/** Whether this runtime can run the loops at all (WebAssembly with 128-bit SIMD). */
export const wasmLoopsSupported: boolean = typeof WebAssembly === 'object' && WebAssembly.validate(BYTES);

let compiled: WebAssembly.Module | undefined;
let syncCompileRefused = false;
const instances = new WeakMap<WebAssembly.Memory, Loops | null>();

/**
 * Compiles the loops asynchronously, as browsers require on their main thread for a
 * module of this size. useBackend awaits it; call it yourself before the first gmLayer
 * call if you select a backend another way in a browser.
 * @returns whether the fused loops can run here.
 */
export async function compileWasmLoops(): Promise<boolean> {
  if (!wasmLoopsSupported) return false;
  compiled ??= await WebAssembly.compile(BYTES);
  return true;
}

/** A synchronous compile, or undefined where the runtime refuses one (a browser's main thread). */
export function compileSync(bytes: Uint8Array): WebAssembly.Module | undefined {
  try {
    return new WebAssembly.Module(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether the loops are ready to run: compiled already, or compiled synchronously now
 * (Node and workers allow it). False where unsupported or refused: the 'auto' kernels
 * then run the composite path.
 */
export function wasmLoopsReady(): boolean {
  if (!wasmLoopsSupported) return false;
  if (compiled === undefined && !syncCompileRefused) {
    compiled = compileSync(BYTES);
    syncCompileRefused = compiled === undefined;
  }
  return compiled !== undefined;
}

/** The loops over a memory, or null where the memory cannot be imported. */
function loopsOver(memory: WebAssembly.Memory): Loops | null {
  if (!instances.has(memory)) {
    if (!wasmLoopsReady()) throw new GMInternalError('the WebAssembly loops', 'a compiled module before any loop runs (resolveKernels checks)', 'none');
    try {
      instances.set(memory, new WebAssembly.Instance(compiled!, { env: { memory } }).exports as unknown as Loops);
    } catch {
      instances.set(memory, null); // e.g. shared memory against this module's unshared import
    }
  }
  return instances.get(memory)!;
}

const PAGE_BYTES = 65536;
let scratch: WebAssembly.Memory | undefined;

/** Copies the inputs into the private memory, runs the loop, copies the outputs back. */
function runCopying(name: LoopName, sizes: number[], inputs: Float32Array[], outputs: Float32Array[]): void {
  const arrays = [...inputs, ...outputs];
  const addresses: number[] = [];
  let end = 0;
  for (const a of arrays) {
    addresses.push(end);
    end += Math.ceil((a.length * 4) / 16) * 16; // 16-byte aligned, as v128 access prefers
  }
  scratch ??= new WebAssembly.Memory({ initial: 1 });
  const missing = Math.ceil(end / PAGE_BYTES) - scratch.buffer.byteLength / PAGE_BYTES;
  if (missing > 0) scratch.grow(missing);
  const heap = new Float32Array(scratch.buffer);
  inputs.forEach((a, j) => heap.set(a, addresses[j] / 4));
  loopsOver(scratch)![name](...sizes, ...addresses);
  outputs.forEach((a, j) => a.set(heap.subarray(addresses[inputs.length + j] / 4, addresses[inputs.length + j] / 4 + a.length)));
}

/**
 * Runs one loop of src/op/fused/wasm/gm-loops.wat. `sizes` are its size parameters; inputs and
 * outputs are float32 tensors in `memory`, allocated already, in the loop's order.
 */
export function runLoop(memory: HostMemory, name: LoopName, sizes: number[], inputs: tf.TensorInfo[], outputs: tf.TensorInfo[]): void {
  const inPlace = memory.heap && loopsOver(memory.heap.memory);
  if (inPlace) {
    inPlace[name](...sizes, ...[...inputs, ...outputs].map(memory.heap!.address));
  } else {
    runCopying(name, sizes, inputs.map(memory.view), outputs.map(memory.view));
  }
}
