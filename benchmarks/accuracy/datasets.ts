/**
 * The accuracy suite's datasets: the synthetic XOR mixture, MNIST and Fashion-MNIST, as
 * training and test sets with pixels scaled to [0, 1]. Each has an identity that does
 * not depend on where its files were found, so that run dirs made on different machines
 * can be compared (run-dir.ts) and merged.
 */
import { bayesError, xorGaussianMixture } from '../../src/data/synthetic.js';
import { FASHION_MNIST_PINS, loadFashionMnist, loadMnist, MNIST_PINS, type ImageSet, type Pins } from '../../src/data/sources.js';
import type { Examples } from '../../src/train/train.js';

export const DATASETS = ['synthetic', 'mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

const SYNTHETIC = { d: 100, train: 8000, test: 4000, separation: 2 };

export interface DatasetIdentity {
  classes: number;
  /** what the data is, independent of where it was read from */
  note: string;
  /** the Bayes error (a fraction), where known */
  bayes?: number;
}

const pinned = (label: string, pins: Pins) => `${label}, IDX files of pinned SHA-256 (training images ${pins.trainImages.sha256.slice(0, 12)}…)`;

/** What a dataset is: its classes, a description that identifies it, its Bayes error. */
export function datasetIdentity(name: DatasetName): DatasetIdentity {
  if (name === 'synthetic') {
    const { d, separation } = SYNTHETIC;
    const bayes = bayesError(separation);
    return { classes: 2, bayes, note: `XOR mixture, d = ${d}, r = ${separation}, ${SYNTHETIC.train} / ${SYNTHETIC.test} samples: Bayes error ${(100 * bayes).toFixed(2)} %` };
  }
  return { classes: 10, note: name === 'mnist' ? pinned('MNIST', MNIST_PINS) : pinned('Fashion-MNIST', FASHION_MNIST_PINS) };
}

/** Images as an Examples set with pixels scaled to [0, 1]. */
function examples(set: ImageSet): Examples {
  const d = set.height * set.width;
  const x = new Float32Array(set.count * d);
  for (let j = 0; j < set.count * d; j++) x[j] = set.images[j] / 255;
  return { x, labels: set.labels, n: set.count, d };
}

export interface LoadedData {
  train: Examples;
  test: Examples;
  classes: number;
  /** where the data came from (a directory, or "generated") */
  source: string;
}

/** Loads (or generates) a dataset. @throws GMDataError when its files are missing or differ from their pins. */
function loadDataset(name: DatasetName, dataDir?: string): LoadedData {
  if (name === 'synthetic') {
    const { d, separation } = SYNTHETIC;
    const train = xorGaussianMixture({ d, n: SYNTHETIC.train, separation, seed: 'train' });
    const test = xorGaussianMixture({ d, n: SYNTHETIC.test, separation, seed: 'test' });
    return { train, test, classes: 2, source: 'generated' };
  }
  const data = name === 'mnist' ? loadMnist() : loadFashionMnist({ dataDir });
  return { train: examples(data.train), test: examples(data.test), classes: 10, source: data.source };
}

/** A dataset by name (the Runner's source of data). */
export type DataSource = (name: DatasetName) => LoadedData;

/** Loads each dataset once, on first use, and reports where it came from. */
export function cachingLoader(dataDir: string | undefined, onLoad: (name: DatasetName, source: string) => void = () => {}): DataSource {
  const cache = new Map<DatasetName, LoadedData>();
  return (name) => {
    let data = cache.get(name);
    if (data === undefined) {
      data = loadDataset(name, dataDir);
      cache.set(name, data);
      onLoad(name, data.source);
    }
    return data;
  };
}

/** The same data in SharedArrayBuffers: worker threads then read one copy instead of loading their own. */
export function shared(data: LoadedData): LoadedData {
  const share = <T extends Float32Array | Uint8Array>(a: T, make: (buffer: SharedArrayBuffer) => T): T => {
    const copy = make(new SharedArrayBuffer(a.byteLength));
    copy.set(a);
    return copy;
  };
  const examples = (e: Examples): Examples => ({
    ...e,
    x: share(e.x, (b) => new Float32Array(b)),
    labels: share(e.labels, (b) => new Uint8Array(b)),
  });
  return { ...data, train: examples(data.train), test: examples(data.test) };
}
