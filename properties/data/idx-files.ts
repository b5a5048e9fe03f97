/** Builds small IDX files for the data tests (no test needs the real sets). */
import { createHash } from 'node:crypto';

/** IDX bytes for unsigned-byte data of the given dimensions. */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  const view = new DataView(header.buffer);
  dims.forEach((n, j) => view.setUint32(4 + 4 * j, n, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
