/**
 * gmlayer: the Gaussian mixture layer of Chewi, Rigollet & Yan (arXiv 2508.04883) on
 * TensorFlow.js. The float64 reference is at `gmlayer/reference`.
 */
export { gmLayer, gmLayerAutodiff, resolveKernels, KERNEL_CHOICES } from './op/gm-op.js';
export { compileWasmLoops } from './op/fused/wasm-loops.js';
export { gmValuesChecked } from './op/deferred-check.js';
export type { GMOpOptions, GMTensors, KernelChoice } from './op/gm-op.js';
export { GaussianMixture, gaussianMixture } from './layer/gaussian-mixture.js';
export type { GaussianMixtureArgs } from './layer/gaussian-mixture.js';
export { loadGMModel, checkGMArtifacts } from './layer/load.js';
export { useBackend, availableBackends, BACKENDS } from './backend/backend.js';
export { GMBackendError, GMInternalError } from './errors.js';
export type { BackendChoice, BackendOptions, BackendReport } from './backend/backend.js';
export type { AdapterReport } from './backend/webgpu.js';
export { firstOutOfRange, FLOAT32_MAX, FLOAT32_MIN_NORMAL } from './op/float32-range.js';
export type { OutOfRange } from './op/float32-range.js';
export { normalCdfF32, normalPdfF32, expectedReluF32, upperTailF32, upperTailFit } from './op/normal-f32.js';
export { GMInputError, GMShapeError, GMValueError } from '../reference/errors.js';
export { GMDataError, parseIdx, readIdx } from './data/idx.js';
export type { IdxArray } from './data/idx.js';
export { loadMnist, loadFashionMnist, downloadFashionMnist, loadFromDirectory, MNIST_PINS, FASHION_MNIST_PINS } from './data/sources.js';
export type { Dataset, ImageSet, FashionMnistOptions } from './data/sources.js';
export { xorGaussianMixture, bayesError } from './data/synthetic.js';
export type { SyntheticOptions, SyntheticSet } from './data/synthetic.js';
export { buildModel, modelName, parseModelName, readWeights, assignWeights, MODEL_KINDS } from './train/models.js';
export type { Model, ModelKind, ModelSpec, Parameter } from './train/models.js';
export { train, testError, GMTrainingError } from './train/train.js';
export type { EpochResult, Examples, TrainOptions, TrainState } from './train/train.js';
