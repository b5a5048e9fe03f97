/**
 * The compiled loops of src/op/fused/wasm/gm-loops.wat, run on tensors of a host backend
 * (src/op/fused/host-memory.ts): in place on tfjs-wasm's own memory (shared in its threaded
 * build, so the loops come compiled twice), otherwise (cpu, or a heap the module cannot
 * import) on a private memory the arguments are copied into and the results out of.
 *
 * Why compiled loops: tfjs-wasm runs SIMD code only inside its own kernels, one per op,
 * and JavaScript loops over K×L×d run several times slower than that. The loops here do a step's parameter-sized work in three
 * passes over U, and its batch-sized work (row scaling, the sums over components) in one
 * pass each.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GMInternalError } from '../../errors.js';
import type { HostMemory } from './host-memory.js';
import { GM_LOOPS_SHARED_WASM, GM_LOOPS_WASM } from './wasm/gm-loops.wasm.js';

/** The loops the module exports; each takes sizes, then input and output byte addresses. */
export type LoopName = 'rowMaxAbs' | 'scaleRows' | 'prepare' | 'componentTerms' | 'mixOutputs' | 'componentGrads' | 'paramGrads';
type Loops = Record<LoopName, (...args: number[]) => void>;

const decode = (base64: string) => Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
/** The loops as compiled for an unshared memory, and for a shared one (tfjs-wasm's threaded build). */
const BYTES = { unshared: decode(GM_LOOPS_WASM), shared: decode(GM_LOOPS_SHARED_WASM) };
type Sharing = keyof typeof BYTES;

/** Whether this runtime can run the loops at all (WebAssembly with 128-bit SIMD). */
export const wasmLoopsSupported: boolean = typeof WebAssembly === 'object' && WebAssembly.validate(BYTES.unshared);

const compiled: Partial<Record<Sharing, WebAssembly.Module>> = {};
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
  compiled.unshared ??= await WebAssembly.compile(BYTES.unshared);
  // a runtime without shared memory has no threaded tfjs-wasm to run them on
  if (WebAssembly.validate(BYTES.shared)) compiled.shared ??= await WebAssembly.compile(BYTES.shared);
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
  if (compiled.unshared === undefined && !syncCompileRefused) {
    compiled.unshared = compileSync(BYTES.unshared);
    syncCompileRefused = compiled.unshared === undefined;
  }
  return compiled.unshared !== undefined;
}

/** The module for a memory: a shared memory takes only a module that imports one as shared. */
function moduleFor(memory: WebAssembly.Memory): WebAssembly.Module | undefined {
  if (!(typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer)) return compiled.unshared;
  if (compiled.shared === undefined && WebAssembly.validate(BYTES.shared)) compiled.shared = compileSync(BYTES.shared);
  return compiled.shared;
}

/** The loops over a memory, or null where the memory cannot be imported. */
function loopsOver(memory: WebAssembly.Memory): Loops | null {
  if (!instances.has(memory)) {
    if (!wasmLoopsReady()) throw new GMInternalError('the WebAssembly loops', 'a compiled module before any loop runs (resolveKernels checks)', 'none');
    const module = moduleFor(memory);
    try {
      instances.set(memory, module === undefined ? null : (new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Loops));
    } catch {
      instances.set(memory, null); // a memory beyond the module's import limits: the copying path
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

/** The loops over the backend's own heap, or null where they must copy through the private memory. */
function inPlaceLoops(memory: HostMemory): Loops | null {
  return memory.heap === undefined ? null : loopsOver(memory.heap.memory);
}

/** Whether the loops run in place on this memory (else through the private one, copying). */
export function runsInPlace(memory: HostMemory): boolean {
  return inPlaceLoops(memory) !== null;
}

/**
 * Runs one loop of src/op/fused/wasm/gm-loops.wat. `sizes` are its size parameters; inputs and
 * outputs are float32 tensors in `memory`, allocated already, in the loop's order.
 */
export function runLoop(memory: HostMemory, name: LoopName, sizes: number[], inputs: tf.TensorInfo[], outputs: tf.TensorInfo[]): void {
  const inPlace = inPlaceLoops(memory);
  if (inPlace) {
    inPlace[name](...sizes, ...[...inputs, ...outputs].map(memory.heap!.address));
  } else {
    runCopying(name, sizes, inputs.map(memory.view), outputs.map(memory.view));
  }
}
