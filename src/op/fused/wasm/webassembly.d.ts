/**
 * The part of the WebAssembly JavaScript API that src/op/fused/wasm-loops.ts uses. TypeScript
 * declares it only in its DOM and web worker libraries, which this Node project does
 * not load; the API itself is in every runtime gmlayer supports (Node ≥ 20, browsers).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: BufferSource): boolean;
  function compile(bytes: BufferSource): Promise<Module>;
}
