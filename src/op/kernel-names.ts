/**
 * The names under which gmlayer registers its kernels with tfjs (tfjs-core's
 * kernel_names.ts habit: one exported constant per kernel, never an inline string).
 * Inputs of the two GM kernels: x [B, d], mu [K, d], sigma [K, d], U [K, L, d], v [K, L].
 */

/** The GM layer as plain tfjs ops (op/composite/gm-composite.ts); every backend. */
export const GaussianMixtureLayer = 'GaussianMixtureLayer';
/** The GM layer on host-memory loops (op/fused/gm-fused.ts); cpu and wasm. */
export const GaussianMixtureLayerFused = 'GaussianMixtureLayerFused';

/** The GM layer on WGSL programs and tfjs products (op/webgpu/gm-webgpu.ts); webgpu. */
export const GaussianMixtureLayerWebGPU = 'GaussianMixtureLayerWebGPU';

/** The fused path's loops, each a kernel of its own on cpu and wasm. */
export const GMFusedRowScale = 'GMFusedRowScale';
export const GMFusedPrepare = 'GMFusedPrepare';
export const GMFusedPrepareLowRank = 'GMFusedPrepareLowRank';
export const GMFusedCombine = 'GMFusedCombine';
export const GMFusedComponentGrads = 'GMFusedComponentGrads';
export const GMFusedParamGrads = 'GMFusedParamGrads';
