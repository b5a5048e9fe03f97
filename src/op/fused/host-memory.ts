/**
 * Direct access to the float32 storage of tensors on the backends that keep it in
 * JavaScript-visible host memory: cpu (a typed array per tensor) and wasm (a slice of
 * the module's heap). The fused kernels (src/op/fused/gm-fused.ts) read and write through these
 * views without copies.
 *
 * This leans on backend members outside tfjs's documented API (cpu `data.get`; wasm
 * `makeOutput`, `typedArrayFromHeap`, `dataIdMap` and the emscripten module's memory: its
 * export `asm.memory`, or `wasmMemory` in the threaded build, which imports a shared one;
 * all public since tfjs 2.x); everything else in gmlayer goes through tfjs ops. A
 * backend without them runs the composite path instead (src/op/gm-op.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMInternalError } from '../../errors.js';

/** The backends whose tensors these views can reach. */
export const HOST_BACKENDS = ['cpu', 'wasm'] as const;

export interface HostMemory {
  /** A new uninitialised float32 tensor of the given shape, owned by the backend. */
  alloc(shape: number[]): tf.TensorInfo;
  /**
   * The float32 storage of a tensor, no copy; a tensor still held by another backend
   * moves here first (tfjs moves data on a backend's first lookup of it). On wasm the heap
   * may grow (and detach earlier views) on every alloc or move: take views only after the
   * last of them.
   */
  view(t: tf.TensorInfo): Float32Array;
  /**
   * On wasm: the backend's WebAssembly memory and a tensor's byte address in it, so
   * compiled loops (src/op/fused/wasm-loops.ts) can work in place. Absent on cpu.
   */
  heap?: { memory: WebAssembly.Memory; address(t: tf.TensorInfo): number };
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown };
}

/** Host-memory access for the given backend (named by tf.getBackend()). */
export function hostMemory(name: string, backend: tf.KernelBackend): HostMemory {
  if (name === 'cpu') {
    const cpu = backend as unknown as CpuBackend;
    return {
      alloc: (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
      view: (t) => {
        const values = cpu.data.get(t.dataId).values;
        if (!(values instanceof Float32Array)) throw new GMInternalError('host memory on cpu', 'float32 storage (validate admits float32 tensors only)', Object.prototype.toString.call(values));
        return values;
      },
    };
  }
  if (name === 'wasm') {
    const wasm = backend as unknown as WasmBackend;
    const memory = wasm.wasm.asm?.memory ?? wasm.wasm.wasmMemory;
    return {
      alloc: (shape) => wasm.makeOutput(shape, 'float32'),
      // tfjs-wasm's own view reads the heap before the lookup that would move the tensor in
      // (and may grow the heap, detaching what it read): look it up first.
      view: (t) => {
        wasm.dataIdMap.get(t.dataId);
        return wasm.typedArrayFromHeap(t);
      },
      heap: memory instanceof WebAssembly.Memory ? { memory, address: (t) => wasm.dataIdMap.get(t.dataId).memoryOffset } : undefined,
    };
  }
  throw new GMInternalError('host memory', `one of the backends ${HOST_BACKENDS.join(', ')} (resolveKernels picks the fused kernels only there)`, `backend ${name}`);
}
