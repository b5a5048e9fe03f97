/**
 * Loading saved models that contain GaussianMixture layers, with a clear error when a
 * layer's weights do not fit its config (K, d, L) instead of tfjs's generic one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import './gaussian-mixture.js'; // registers the class for deserialization

interface LayerEntry {
  class_name?: string;
  className?: string;
  config?: Record<string, unknown>;
}

/** Every layer config in a (possibly nested) model topology. */
function layerEntries(node: unknown): LayerEntry[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap(layerEntries);
  const entry = node as LayerEntry & Record<string, unknown>;
  const own = entry.class_name === 'GaussianMixture' || entry.className === 'GaussianMixture' ? [entry] : [];
  return [...own, ...Object.values(entry).flatMap(layerEntries)];
}

/**
 * Checks that each GaussianMixture layer's saved weights have the shapes its config
 * implies: mu, sigma [K, d], U [K, L, d], v [K, L] with K = components, L = units, and
 * V [K, r, d] with r = rank when rank ≥ 1 (and no V otherwise).
 * @throws GMShapeError naming the weight, the expected and the actual shape.
 */
export function checkGMArtifacts(artifacts: tf.io.ModelArtifacts): void {
  const specs = new Map((artifacts.weightSpecs ?? []).map((spec) => [spec.name, spec.shape]));
  for (const entry of layerEntries(artifacts.modelTopology)) {
    const config = entry.config ?? {};
    const name = String(config.name);
    const K = Number(config.components);
    const L = Number(config.units);
    const r = Number(config.rank ?? 0);
    const shapeOf = (weight: string) => {
      const shape = specs.get(`${name}/${weight}`);
      if (!shape) throw new GMShapeError(`${name}/${weight}`, 'a saved weight', 'none in the weights manifest');
      return shape;
    };
    const d = shapeOf('mu')[1];
    const expected: Record<string, [string[], number[]]> = {
      mu: [['K', 'd'], [K, d]],
      sigma: [['K', 'd'], [K, d]],
      U: [['K', 'L', 'd'], [K, L, d]],
      v: [['K', 'L'], [K, L]],
      ...(r > 0 && { V: [['K', 'r', 'd'], [K, r, d]] as [string[], number[]] }),
    };
    if (r === 0 && specs.has(`${name}/V`)) {
      throw new GMShapeError(`${name}/V`, 'no low-rank factors, as the layer config has rank 0', `a saved weight of shape [${specs.get(`${name}/V`)!.join(', ')}]`);
    }
    for (const [weight, [names, dims]] of Object.entries(expected)) {
      const actual = shapeOf(weight);
      if (actual.length !== dims.length || actual.some((n, j) => n !== dims[j])) {
        const want = names.map((n, j) => `${n}=${dims[j]}`).join(', ');
        throw new GMShapeError(`${name}/${weight}`, `shape [${want}] from the layer config (components=${K}, units=${L}${r > 0 ? `, rank=${r}` : ''})`, `shape [${actual.join(', ')}]`);
      }
    }
  }
}

/**
 * tf.loadLayersModel for models with GaussianMixture layers: checks the weights against
 * each layer's config first (see checkGMArtifacts).
 *
 * @param source a URL tfjs can load (file:// needs tfjs-node) or an IOHandler,
 *               e.g. tf.io.fromMemory(artifacts).
 */
export async function loadGMModel(source: string | tf.io.IOHandler): Promise<LayersModel> {
  const handler = typeof source === 'string' ? tf.io.getLoadHandlers(source)[0] : source;
  if (!handler?.load) {
    throw new GMValueError('source', 'a URL with a registered tfjs load handler, or an IOHandler with load()', String(source));
  }
  const artifacts = await handler.load();
  checkGMArtifacts(artifacts);
  return loadLayersModel(tf.io.fromMemory(artifacts));
}
