/**
 * Loading saved GM models (src/layer/load.ts): the weights manifest held to every
 * GaussianMixture layer's config wherever the layer sits in the topology, and the
 * sources loadGMModel takes. The layer's own save/load round trips are in
 * gaussian-mixture.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import { useBackend } from '../../src/backend/backend.js';
import { gaussianMixture } from '../../src/layer/gaussian-mixture.js';
import { checkGMArtifacts, loadGMModel } from '../../src/layer/load.js';
import { saveToMemory } from '../support/save.js';

beforeAll(async () => {
  await useBackend('cpu');
});

type Shapes = Record<string, number[]>;

/** Artifacts of one layer `gm` (K = 3, L = 2, d = 4 unless `shapes` says otherwise) at a given place in a topology. */
function artifacts(config: Record<string, unknown>, shapes: Shapes, wrap: (layer: unknown) => unknown = (layer) => ({ class_name: 'Sequential', config: { layers: [layer] } })): tf.io.ModelArtifacts {
  return {
    modelTopology: wrap({ class_name: 'GaussianMixture', config: { name: 'gm', components: 3, units: 2, ...config } }) as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: Object.entries(shapes).map(([weight, shape]) => ({ name: `gm/${weight}`, shape, dtype: 'float32' as const })),
  };
}

const fitting: Shapes = { mu: [3, 4], sigma: [3, 4], U: [3, 2, 4], v: [3, 2] };

describe('checkGMArtifacts', () => {
  it('accepts weights that fit the config, with and without rank', () => {
    expect(() => checkGMArtifacts(artifacts({}, fitting))).not.toThrow();
    expect(() => checkGMArtifacts(artifacts({ rank: 0 }, fitting))).not.toThrow();
    expect(() => checkGMArtifacts(artifacts({ rank: 2 }, { ...fitting, V: [3, 2, 4] }))).not.toThrow();
  });

  it.each([
    ['sigma', { sigma: [3, 5] }, 'gm/sigma: expected shape [K=3, d=4] from the layer config (components=3, units=2), got shape [3, 5]'],
    ['U', { U: [3, 3, 4] }, 'gm/U: expected shape [K=3, L=2, d=4] from the layer config (components=3, units=2), got shape [3, 3, 4]'],
    ['U of another rank', { U: [3, 2] }, 'gm/U: expected shape [K=3, L=2, d=4] from the layer config (components=3, units=2), got shape [3, 2]'],
    ['U with an extra axis', { U: [3, 2, 4, 1] }, 'gm/U: expected shape [K=3, L=2, d=4] from the layer config (components=3, units=2), got shape [3, 2, 4, 1]'],
    ['v', { v: [3, 1] }, 'gm/v: expected shape [K=3, L=2] from the layer config (components=3, units=2), got shape [3, 1]'],
  ])('names the weight, the expected and the actual shape: %s', (_name, change, message) => {
    const broken = artifacts({}, { ...fitting, ...change });
    expect(() => checkGMArtifacts(broken)).toThrow(GMShapeError);
    expect(() => checkGMArtifacts(broken)).toThrow(message);
  });

  it('names a weight missing from the manifest, and low-rank factors the config does not expect', () => {
    const { U: _, ...noU } = fitting;
    expect(() => checkGMArtifacts(artifacts({}, noU))).toThrow('gm/U: expected a saved weight, got none in the weights manifest');
    expect(() => checkGMArtifacts(artifacts({ rank: 1 }, fitting))).toThrow('gm/V: expected a saved weight, got none in the weights manifest');
    expect(() => checkGMArtifacts(artifacts({ rank: 1 }, { ...fitting, V: [3, 2, 4] }))).toThrow(
      'gm/V: expected shape [K=3, r=1, d=4] from the layer config (components=3, units=2, rank=1), got shape [3, 2, 4]',
    );
    expect(() => checkGMArtifacts(artifacts({}, { ...fitting, V: [3, 2, 4] }))).toThrow('gm/V: expected no low-rank factors, as the layer config has rank 0, got a saved weight of shape [3, 2, 4]');
  });

  it.each([
    ['at the top level', (layer: unknown) => layer],
    ['in a functional model', (layer: unknown) => ({ class_name: 'Model', config: { layers: [{ class_name: 'Dense', config: {} }, layer] } })],
    ['in a model inside a model', (layer: unknown) => ({ class_name: 'Model', config: { layers: [{ class_name: 'Sequential', config: { layers: [layer] } }] } })],
    ['under the camelCase key className', (layer: unknown) => ({ layers: [{ className: 'GaussianMixture', config: (layer as { config: unknown }).config }] })],
  ])('finds the layer %s', (_name, wrap) => {
    expect(() => checkGMArtifacts(artifacts({}, fitting, wrap))).not.toThrow();
    expect(() => checkGMArtifacts(artifacts({}, { ...fitting, v: [3, 5] }, wrap))).toThrow(/^gm\/v: expected shape \[K=3, L=2\]/);
  });

  it('checks every GM layer, not only the first', () => {
    const two: tf.io.ModelArtifacts = {
      modelTopology: {
        class_name: 'Sequential',
        config: { layers: [{ class_name: 'GaussianMixture', config: { name: 'a', components: 2, units: 3 } }, { class_name: 'GaussianMixture', config: { name: 'b', components: 2, units: 1 } }] },
      },
      weightSpecs: [
        ...Object.entries({ mu: [2, 5], sigma: [2, 5], U: [2, 3, 5], v: [2, 3] }).map(([w, shape]) => ({ name: `a/${w}`, shape, dtype: 'float32' as const })),
        ...Object.entries({ mu: [2, 3], sigma: [2, 3], U: [2, 1, 3], v: [2, 2] }).map(([w, shape]) => ({ name: `b/${w}`, shape, dtype: 'float32' as const })),
      ],
    };
    expect(() => checkGMArtifacts(two)).toThrow('b/v: expected shape [K=2, L=1] from the layer config (components=2, units=1), got shape [2, 2]');
  });
});

describe('loadGMModel', () => {
  const saved = (units: number) => saveToMemory(sequential({ layers: [gaussianMixture({ inputShape: [4], units, components: 2, seed: 1, name: 'gm' })] }));

  it('loads from a URL through the tfjs load handler registered for it, checking the weights first', async () => {
    const good = await saved(3);
    const bad = { ...good, modelTopology: JSON.parse(JSON.stringify(good.modelTopology).replace('"units":3', '"units":2')) };
    // A router answers null for a URL it does not take, as tfjs's own do (IORouter's type omits it).
    const router = (url: string | string[]) => (url === 'gmtest://good' ? tf.io.fromMemory(good) : url === 'gmtest://bad' ? tf.io.fromMemory(bad) : (null as unknown as tf.io.IOHandler));
    tf.io.registerLoadRouter(router);
    const model = await loadGMModel('gmtest://good');
    expect(model.outputs[0].shape).toEqual([null, 3]);
    await expect(loadGMModel('gmtest://bad')).rejects.toThrow('gm/U: expected shape [K=2, L=2, d=4] from the layer config (components=2, units=2), got shape [2, 3, 4]');
  });

  it('refuses a URL no handler loads, and a handler without load(), naming the source', async () => {
    await expect(loadGMModel('nowhere://model.json')).rejects.toThrow(GMValueError);
    await expect(loadGMModel('nowhere://model.json')).rejects.toThrow(
      'source: expected a URL with a registered tfjs load handler, or an IOHandler with load(), got nowhere://model.json',
    );
    await expect(loadGMModel({ save: async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) })).rejects.toThrow(
      /^source: expected a URL with a registered tfjs load handler, or an IOHandler with load\(\), got \[object Object\]$/,
    );
  });
});
