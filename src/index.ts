/**
 * gmlayer: the Gaussian mixture layer of Chewi, Rigollet & Yan (arXiv 2508.04883) on
 * TensorFlow.js. The float64 reference is at `gmlayer/reference`.
 */
export { gmLayer, gmLayerAutodiff, resolveKernels, KERNEL_CHOICES } from './gm-op.js';
export type { GMOpOptions, GMTensors, KernelChoice } from './gm-op.js';
export { GaussianMixture, gaussianMixture } from './gaussian-mixture.js';
export type { GaussianMixtureArgs } from './gaussian-mixture.js';
export { loadGMModel, checkGMArtifacts } from './load.js';
export { useBackend, availableBackends, BACKENDS, GMBackendError } from './backend.js';
export type { BackendChoice, BackendReport } from './backend.js';
export { normalCdfF32, normalPdfF32, expectedReluF32, upperTailF32, upperTail } from './normal.js';
export { GMInputError, GMShapeError, GMValueError } from '../reference/errors.js';
export { GMDataError, parseIdx, readIdx } from './data/idx.js';
export type { IdxArray } from './data/idx.js';
export { loadMnist, loadFashionMnist, downloadFashionMnist, loadFromDirectory, MNIST_PINS, FASHION_MNIST_PINS } from './data/sources.js';
export type { Dataset, ImageSet, FashionMnistOptions } from './data/sources.js';
export { xorGaussianMixture, bayesError } from './data/synthetic.js';
export type { SyntheticOptions, SyntheticSet } from './data/synthetic.js';
export { buildModel, modelName, MODEL_KINDS } from './train/models.js';
export type { Model, ModelKind, ModelSpec, Parameter } from './train/models.js';
export { train, testError, GMTrainingError } from './train/train.js';
export type { EpochResult, Examples, TrainOptions } from './train/train.js';
