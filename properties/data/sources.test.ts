/**
 * The dataset loaders on small generated files: pins, the Fashion-MNIST search order,
 * the message when nothing is found, and the download (with a fake fetch: tests never
 * touch the network).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GMDataError } from '../../src/data/idx.js';
import { FASHION_MNIST_ENV, downloadFashionMnist, fashionMnistCandidates, loadFashionMnist, loadFromDirectory, type Pins } from '../../src/data/sources.js';
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
  });
});

describe('Fashion-MNIST search order and messages', () => {
  it('searches --data-dir, the environment variable, the system directory, then the cache', () => {
    const list = fashionMnistCandidates({ dataDir: '/a', env: { [FASHION_MNIST_ENV]: '/b' }, systemDir: '/c', cacheDir: '/d' });
    expect(list).toEqual(['/a', '/b', '/c', '/d']);
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

  it('refuses a file whose hash is wrong and does not keep it', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'gmlayer-cache-')), 'fashion');
    await expect(downloadFashionMnist(cache, fakeFetch('t10k-images-idx3-ubyte'), 'https://example.invalid/', pins)).rejects.toThrow(/expected SHA-256/);
    expect(existsSync(join(cache, 't10k-images-idx3-ubyte.gz'))).toBe(false);
  });
});
