/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic
 * number (0x00 0x00, a type code, the number of dimensions), the dimensions as
 * big-endian uint32, then the data in row-major order. Only unsigned bytes (type 0x08)
 * occur in these sets. Gzipped files (magic 0x1f 0x8b) are decompressed first.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GMInputError } from '../../reference/errors.js';

/** A data file that is missing, truncated, corrupt, or not what it should be. */
export class GMDataError extends GMInputError {}

export interface IdxArray {
  /** e.g. [60000, 28, 28] for images, [60000] for labels */
  dims: number[];
  /** unsigned bytes, row-major, length = product of dims */
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Decompresses gzip data (by its magic bytes); other bytes pass through. */
export function gunzipIfNeeded(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (error) {
    throw new GMDataError(source, 'a complete gzip stream', `a corrupt or truncated one (${(error as Error).message})`);
  }
}

/**
 * Parses IDX bytes (raw or gzipped).
 * @param source the file name, for error messages.
 * @throws GMDataError for a wrong magic number, an unsupported type, or a length that
 *         does not match the dimensions (truncated or with trailing bytes).
 */
export function parseIdx(raw: Uint8Array, source: string): IdxArray {
  const bytes = gunzipIfNeeded(raw, source);
  if (bytes.length < 4) throw new GMDataError(source, 'an IDX file (a 4-byte magic number first)', `${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new GMDataError(source, 'IDX magic bytes 00 00 <type> <ndim>', `${magic}`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) throw new GMDataError(source, 'IDX type 0x08 (unsigned byte)', `type 0x${bytes[2].toString(16)}`);
  const ndim = bytes[3];
  if (ndim === 0) throw new GMDataError(source, 'at least one dimension', '0');
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new GMDataError(source, `a ${header}-byte header for ${ndim} dimensions`, `${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, j) => view.getUint32(4 + 4 * j, false));
  const size = dims.reduce((a, n) => a * n, 1);
  if (bytes.length !== header + size) {
    const what = bytes.length < header + size ? 'truncated' : 'trailing bytes';
    throw new GMDataError(source, `${header + size} bytes for dimensions [${dims.join(', ')}]`, `${bytes.length} (${what})`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Reads and parses an IDX file. @throws GMDataError when it is missing or malformed. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new GMDataError(path, 'a readable IDX file', (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  return parseIdx(bytes, path);
}
