/** The IDX reader: round trips (raw and gzipped) and a clear error for every malformation. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { GMDataError, parseIdx, readIdx } from '../../src/data/idx.js';
import { idxBytes } from './idx-files.js';

const shaped = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })
  .chain((dims) => fc.tuple(fc.constant(dims), fc.uint8Array({ minLength: dims.reduce((a, n) => a * n, 1), maxLength: dims.reduce((a, n) => a * n, 1) })));

describe('parseIdx', () => {
  test.prop([shaped, fc.boolean()])('round-trips dimensions and data, raw or gzipped', ([dims, data], gzip) => {
    const bytes = idxBytes(dims, data);
    const parsed = parseIdx(gzip ? gzipSync(bytes) : bytes, 'file');
    expect(parsed.dims).toEqual(dims);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  const good = idxBytes([2, 3], new Uint8Array([1, 2, 3, 4, 5, 6]));
  it.each([
    ['truncated data', good.subarray(0, good.length - 1), /expected 18 bytes for dimensions \[2, 3\], got 17 \(truncated\)/],
    ['trailing bytes', new Uint8Array([...good, 0]), /got 19 \(trailing bytes\)/],
    ['a wrong magic number', new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), /expected IDX magic bytes 00 00 <type> <ndim>, got 01 00 08 01/],
    ['a wrong second magic byte', new Uint8Array([0, 1, 8, 1, 0, 0, 0, 0]), /expected IDX magic bytes 00 00 <type> <ndim>, got 00 01 08 01/],
    // gzip is told by both magic bytes 1f 8b: one alone is raw data (here a wrong IDX magic)
    ['a first gzip byte alone', new Uint8Array([0x1f, 0, 8, 1, 0, 0, 0, 0]), /expected IDX magic bytes 00 00 <type> <ndim>, got 1f 00 08 01/],
    ['a second gzip byte alone', new Uint8Array([0, 0x8b, 8, 1, 0, 0, 0, 0]), /expected IDX magic bytes 00 00 <type> <ndim>, got 00 8b 08 01/],
    ['one byte', new Uint8Array([0x1f]), /a 4-byte magic number first\), got 1 bytes/],
    ['a float type', new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 0]), /expected IDX type 0x08 \(unsigned byte\), got type 0xd/],
    ['no dimensions', new Uint8Array([0, 0, 8, 0]), /expected at least one dimension, got 0$/],
    ['a short header', new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1]), /a 12-byte header for 2 dimensions, got 8 bytes/],
    ['too few bytes', new Uint8Array([0, 0]), /a 4-byte magic number first\), got 2 bytes/],
    ['a corrupt gzip stream', gzipSync(good).subarray(0, 12), /expected a complete gzip stream, got a corrupt or truncated one \(.+\)$/],
    ['the gzip magic bytes alone', new Uint8Array([0x1f, 0x8b]), /expected a complete gzip stream, got a corrupt or truncated one \(.+\)$/],
  ])('rejects %s with a GMDataError naming the file', (_name, bytes, message) => {
    try {
      parseIdx(bytes, 'data/train-images');
      throw new Error('no error thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(GMDataError);
      expect((error as GMDataError).field).toBe('data/train-images');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('reads files and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmlayer-idx-'));
    writeFileSync(join(dir, 'a.idx'), good);
    expect(readIdx(join(dir, 'a.idx')).dims).toEqual([2, 3]);
    expect(() => readIdx(join(dir, 'missing.idx'))).toThrow(/missing.idx: expected a readable IDX file, got ENOENT$/);
  });

  it('reads a dimension of length zero as an empty array (the header is the whole file)', () => {
    const parsed = parseIdx(idxBytes([0], new Uint8Array()), 'empty');
    expect(parsed.dims).toEqual([0]);
    expect(parsed.data.length).toBe(0);
  });
});
