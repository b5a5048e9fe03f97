/**
 * `GaussianMixture`: the GM layer as a tf.layers.Layer, a drop-in replacement for a
 * Dense layer (tfjs-layers' core.ts is the model: weights made once in build(),
 * computeOutputShape, call() inside tidy, getConfig() merged with the base class's,
 * and registration for serialization).
 *
 * Weights, for input dimension d: mu [K, d], sigma [K, d], U [K, L, d], v [K, L].
 * The paper's initialisation (Chewi, Rigollet & Yan): μ, U, v ~ N(0, γ²) entrywise and
 * every σ = γ, with γ = 1/2 unless given.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, version_layers, type LayerVariable, type Shape } from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { GMValueError } from '../../reference/errors.js';
import { checkTfjsVersion } from '../backend/tfjs-version.js';
import { gmLayer } from '../op/gm-op.js';

checkTfjsVersion('@tensorflow/tfjs-layers', version_layers);

type Initializer = ReturnType<typeof initializers.randomNormal>;

export interface GaussianMixtureArgs extends LayerArgs {
  /** L: output dimension. */
  units: number;
  /** K: number of Gaussian components. */
  components: number;
  /** γ of the paper's initialisation (default 0.5). */
  gamma?: number;
  /** Seed for the initialisers (each weight gets seed, seed + 1, …); random when absent. */
  seed?: number;
  /** Check inputs and weights for NaN and ±∞ on every call (default true). */
  checkValues?: boolean;
  /** Initialisers overriding the paper's (not serialized: saved weights replace them on load). */
  muInitializer?: Initializer;
  sigmaInitializer?: Initializer;
  UInitializer?: Initializer;
  vInitializer?: Initializer;
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new GMValueError(field, 'a positive integer', String(value));
  }
  return value;
}

export class GaussianMixture extends layers.Layer {
  static className = 'GaussianMixture';
  readonly units: number;
  readonly components: number;
  readonly gamma: number;
  readonly seed: number | undefined;
  readonly checkValues: boolean;
  private readonly initializerOverrides: Partial<Record<'mu' | 'sigma' | 'U' | 'v', Initializer>>;
  private mu?: LayerVariable;
  private sigma?: LayerVariable;
  private U?: LayerVariable;
  private v?: LayerVariable;

  constructor(args: GaussianMixtureArgs) {
    super(args);
    this.units = positiveInteger(args.units, 'units');
    this.components = positiveInteger(args.components, 'components');
    this.gamma = args.gamma ?? 0.5;
    if (!(Number.isFinite(this.gamma) && this.gamma > 0)) throw new GMValueError('gamma', 'a finite number > 0', String(args.gamma));
    this.seed = args.seed;
    this.checkValues = args.checkValues ?? true;
    this.initializerOverrides = { mu: args.muInitializer, sigma: args.sigmaInitializer, U: args.UInitializer, v: args.vInitializer };
    this.inputSpec = [{ minNDim: 2, maxNDim: 2 }];
  }

  /** The paper's initialiser for one weight, seeded per weight. */
  private initializer(name: 'mu' | 'sigma' | 'U' | 'v', offset: number): Initializer {
    const override = this.initializerOverrides[name];
    if (override) return override;
    if (name === 'sigma') return initializers.constant({ value: this.gamma });
    const seed = this.seed === undefined ? undefined : this.seed + offset;
    return initializers.randomNormal({ mean: 0, stddev: this.gamma, seed });
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const d = shape[shape.length - 1];
    if (d === null || d === undefined) throw new GMValueError(`${this.name}: input shape`, 'a known last dimension d', JSON.stringify(shape));
    const K = this.components;
    const L = this.units;
    this.mu = this.addWeight('mu', [K, d], 'float32', this.initializer('mu', 0));
    this.sigma = this.addWeight('sigma', [K, d], 'float32', this.initializer('sigma', 1));
    this.U = this.addWeight('U', [K, L, d], 'float32', this.initializer('U', 2));
    this.v = this.addWeight('v', [K, L], 'float32', this.initializer('v', 3));
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
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(GaussianMixture);

/** Creates a GaussianMixture layer (the functional form, like tf.layers.dense). */
export function gaussianMixture(args: GaussianMixtureArgs): GaussianMixture {
  return new GaussianMixture(args);
}
