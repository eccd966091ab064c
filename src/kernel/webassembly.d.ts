// The part of the WebAssembly JS API the kernel uses, for the Node projects: TypeScript's ES2023 lib and @types/node 20
// declare none of it (lib.dom and the Workers types do; the Worker project never includes this file).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: ArrayBuffer | ArrayBufferView);
  }
  class Instance {
    readonly exports: Record<string, unknown>;
    constructor(module: Module, imports?: Imports);
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  /** What the Module constructor throws for bytes the engine does not compile (a feature it lacks). */
  class CompileError extends Error {}
  class Global {
    value: unknown;
  }
  type Imports = Record<string, Record<string, unknown>>;
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
  function instantiate(bytes: ArrayBuffer | ArrayBufferView, imports?: Imports): Promise<WebAssemblyInstantiatedSource>;
}
