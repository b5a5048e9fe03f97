/**
 * `GaussianMixture`: the GM layer as a tf.layers.Layer, a drop-in replacement for a
 * Dense layer (tfjs-layers' core.ts is the model: weights made once in build(),
 * computeOutputShape, call() inside tidy, getConfig() merged with the base class's,
 * and registration for serialization).
 *
 * Weights, for input dimension d: mu [K, d], sigma [K, d], U [K, L, d], v [K, L], and
 * with `rank` r ≥ 1 the low-rank factors V [K, r, d] of each component's covariance
 * diag(σ_k²) + V_kᵀV_k (docs/MATH.md, section 10).
 * The paper's initialisation (Chewi, Rigollet & Yan): μ, U, v ~ N(0, γ²) entrywise and
 * every σ = γ, with γ = 1/2 unless given. V ~ N(0, γ²/d) entrywise: then
 * E‖V_kj x‖² = γ²‖x‖²/d, each factor row adding in expectation the variance of one
 * diagonal coordinate, so the layer starts within a factor 1 + r/d of the paper's
 * covariance. V must not start at 0: V = 0 is a stationary point (every term of ∂ℓ/∂V
 * is proportional to V), from which gradient descent would never leave.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, version_layers, type LayerVariable, type Shape } from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { GMValueError } from '../../reference/errors.js';
import { checkTfjsVersion } from '../backend/tfjs-version.js';
import { gmLayer } from '../op/gm-op.js';
import { normalSeed } from '../seeds.js';

checkTfjsVersion('@tensorflow/tfjs-layers', version_layers);

type Initializer = ReturnType<typeof initializers.randomNormal>;
type WeightName = 'mu' | 'sigma' | 'U' | 'v' | 'V';

export interface GaussianMixtureArgs extends LayerArgs {
  /** L: output dimension. */
  units: number;
  /** K: number of Gaussian components. */
  components: number;
  /** γ of the paper's initialisation (default 0.5). */
  gamma?: number;
  /** r: rank of each component's low-rank covariance factor V (default 0: the paper's diagonal layer). */
  rank?: number;
  /** Seed for the initialisers, an integer ≥ 0 (each weight gets seed, seed + 1, …); random when absent. */
  seed?: number;
  /** Check inputs and weights for NaN and ±∞ on every call (default true). */
  checkValues?: boolean;
  /** Initialisers overriding the paper's (not serialized: saved weights replace them on load). */
  muInitializer?: Initializer;
  sigmaInitializer?: Initializer;
  UInitializer?: Initializer;
  vInitializer?: Initializer;
  VInitializer?: Initializer;
}

function integerAtLeast(value: unknown, field: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new GMValueError(field, minimum === 1 ? 'a positive integer' : `an integer ≥ ${minimum}`, String(value));
  }
  return value;
}

export class GaussianMixture extends layers.Layer {
  static className = 'GaussianMixture';
  readonly units: number;
  readonly components: number;
  readonly rank: number;
  readonly gamma: number;
  readonly seed: number | undefined;
  readonly checkValues: boolean;
  private readonly initializerOverrides: Partial<Record<WeightName, Initializer>>;
  private mu?: LayerVariable;
  private sigma?: LayerVariable;
  private U?: LayerVariable;
  private v?: LayerVariable;
  private V?: LayerVariable;

  constructor(args: GaussianMixtureArgs) {
    super(args);
    this.units = integerAtLeast(args.units, 'units', 1);
    this.components = integerAtLeast(args.components, 'components', 1);
    this.rank = integerAtLeast(args.rank ?? 0, 'rank', 0);
    this.gamma = args.gamma ?? 0.5;
    if (!(Number.isFinite(this.gamma) && this.gamma > 0)) throw new GMValueError('gamma', 'a finite number > 0', String(args.gamma));
    this.seed = args.seed === undefined ? undefined : integerAtLeast(args.seed, 'seed', 0);
    this.checkValues = args.checkValues ?? true;
    this.initializerOverrides = { mu: args.muInitializer, sigma: args.sigmaInitializer, U: args.UInitializer, v: args.vInitializer, V: args.VInitializer };
    this.inputSpec = [{ minNDim: 2, maxNDim: 2 }];
  }

  /** The paper's initialiser for one weight (V's: see the module comment), seeded per weight. */
  private initializer(name: WeightName, offset: number, d: number): Initializer {
    const override = this.initializerOverrides[name];
    if (override) return override;
    if (name === 'sigma') return initializers.constant({ value: this.gamma });
    const seed = this.seed === undefined ? undefined : normalSeed(this.seed + offset);
    return initializers.randomNormal({ mean: 0, stddev: name === 'V' ? this.gamma / Math.sqrt(d) : this.gamma, seed });
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const d = shape[shape.length - 1];
    if (d === null || d === undefined) throw new GMValueError(`${this.name}: input shape`, 'a known last dimension d', JSON.stringify(shape));
    const K = this.components;
    const L = this.units;
    this.mu = this.addWeight('mu', [K, d], 'float32', this.initializer('mu', 0, d));
    this.sigma = this.addWeight('sigma', [K, d], 'float32', this.initializer('sigma', 1, d));
    this.U = this.addWeight('U', [K, L, d], 'float32', this.initializer('U', 2, d));
    this.v = this.addWeight('v', [K, L], 'float32', this.initializer('v', 3, d));
    if (this.rank > 0) this.V = this.addWeight('V', [K, this.rank, d], 'float32', this.initializer('V', 4, d));
    this.inputSpec = [{ ndim: 2, axes: { [-1]: d } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const params = {
        mu: this.mu!.read() as tf.Tensor2D,
        sigma: this.sigma!.read() as tf.Tensor2D,
        U: this.U!.read() as tf.Tensor3D,
        v: this.v!.read() as tf.Tensor2D,
        ...(this.V !== undefined && { V: this.V.read() as tf.Tensor3D }),
      };
      return gmLayer(x, params, { checkValues: this.checkValues });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      units: this.units,
      components: this.components,
      gamma: this.gamma,
      checkValues: this.checkValues,
    };
    if (this.rank > 0) config.rank = this.rank; // absent is rank 0: configs saved before rank existed still load
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(GaussianMixture);

/** Creates a GaussianMixture layer (the functional form, like tf.layers.dense). */
export function gaussianMixture(args: GaussianMixtureArgs): GaussianMixture {
  return new GaussianMixture(args);
}
