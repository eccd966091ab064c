// The contract's former home, kept so that importers outside src/kernel (src/model/manifest-format.ts,
// src/worker/model.ts, src/bench, test/cli) keep working until they import src/kernel/contract.ts directly. It
// re-exports the contract only; encoder.bin's writer is src/model/encoder-bin.ts.
export { KERNEL_MAX_LAYERS, KERNEL_WEIGHTS_FORMAT, kernelTensorShapes, layerTensorNames, unsupportedBy, type KernelConfig, type KernelLayout } from "./contract.ts";
