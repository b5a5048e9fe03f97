/**
 * Input validation for the reference (and, through it, for every entry point that
 * accepts nested arrays). Each check throws a {@link GMShapeError} or
 * {@link GMValueError} naming the field, the expected and the actual value.
 */
import { GMShapeError, GMValueError, describeValue } from './errors.js';
import type { GMDims, Matrix } from './types.js';

/**
 * Shape of a rectangular nested array of the given rank whose leaves are finite numbers.
 *
 * Walks the whole array once. An empty axis hides the lengths below it, so the shape
 * returned for `[]` is `[0]` whatever the rank.
 *
 * @param value  Anything (typically parsed JSON).
 * @param field  Name used in error messages, e.g. `params.U`.
 * @param rank   Expected nesting depth (1 for a vector, 2 for a matrix, …).
 * @returns The lengths along each axis as far as they can be seen.
 * @throws GMShapeError for a non-array, wrong rank or ragged nesting;
 *         GMValueError for a leaf that is not a finite number.
 */
export function shapeOf(value: unknown, field: string, rank: number): number[] {
  const shape: number[] = [];
  const walk = (node: unknown, path: string, depth: number): void => {
    if (!Array.isArray(node)) {
      throw new GMShapeError(path, `an array (rank ${rank - depth} more)`, describeValue(node));
    }
    if (shape.length === depth) shape.push(node.length);
    else if (shape[depth] !== node.length) {
      const first = `${field}${'[0]'.repeat(depth)}`;
      throw new GMShapeError(path, `length ${shape[depth]} like ${first} (ragged array)`, `length ${node.length}`);
    }
    for (let j = 0; j < node.length; j++) {
      const child = node[j];
      const childPath = `${path}[${j}]`;
      if (depth + 1 < rank) walk(child, childPath, depth + 1);
      else if (!Number.isFinite(child)) {
        throw new GMValueError(childPath, 'a finite number', describeValue(child));
      }
    }
  };
  walk(value, field, 0);
  return shape;
}

/** The fields of a parameter set, in the case format's order; V is optional. */
export const PARAM_FIELDS = ['mu', 'sigma', 'U', 'v', 'V'] as const;

/** The fields every parameter set has. */
export const REQUIRED_PARAM_FIELDS = ['mu', 'sigma', 'U', 'v'] as const;

/**
 * Throws for the first own field of `object` that is not in `known` (a typo such as
 * `upstreams` must not silently fall back to a default).
 * @param where  the object's path for the message, e.g. `params`; '' for the top level.
 */
export function refuseUnknownFields(object: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      const field = where === '' ? key : `${where}.${key}`;
      throw new GMShapeError(field, `one of the fields ${known.join(', ')}`, 'an unknown field');
    }
  }
}

function formatShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless `actual` equals `expected` axis by axis; `names` label the axes, e.g. ['K', 'd']. */
function expectShape(field: string, actual: number[], expected: number[], names: string[]): void {
  if (formatShape(actual) !== formatShape(expected)) {
    const labelled = expected.map((n, j) => `${names[j]}=${n}`).join(', ');
    throw new GMShapeError(field, `shape [${labelled}]`, `shape ${formatShape(actual)}`);
  }
}

/**
 * Checks a parameter set and returns its dimensions.
 *
 * Requires μ: K×d, σ: K×d, U: K×L×d, v: K×L with K, d, L ≥ 1 and every entry finite,
 * and optionally V: K×r×d with r ≥ 0 (r = 0 written as K empty lists); r is 0 without V.
 * K, d are read from μ, L from U and r from V; the other arrays must agree.
 */
export function validateParams(params: unknown): GMDims & { r: number } {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new GMShapeError('params', 'an object with fields mu, sigma, U, v and optionally V', describeValue(params));
  }
  const p = params as Record<string, unknown>;
  refuseUnknownFields(p, PARAM_FIELDS, 'params');
  for (const key of REQUIRED_PARAM_FIELDS) {
    if (!(key in p)) throw new GMShapeError(`params.${key}`, 'a field (see the case format)', 'nothing');
  }
  const muShape = shapeOf(p.mu, 'params.mu', 2);
  const K = muShape[0];
  if (K === 0) throw new GMShapeError('params.mu', 'K ≥ 1 components (a K×d array)', 'K = 0 (an empty array)');
  const d = muShape[1];
  if (d === 0) throw new GMShapeError('params.mu', 'd ≥ 1 input dimensions (a K×d array)', 'd = 0');
  expectShape('params.sigma', shapeOf(p.sigma, 'params.sigma', 2), [K, d], ['K', 'd']);
  const uShape = shapeOf(p.U, 'params.U', 3);
  const L = uShape[1] ?? 0;
  if (uShape[0] === K && L === 0) {
    throw new GMShapeError('params.U', 'L ≥ 1 outputs (a K×L×d array)', 'L = 0');
  }
  expectShape('params.U', uShape, [K, L, d], ['K', 'L', 'd']);
  expectShape('params.v', shapeOf(p.v, 'params.v', 2), [K, L], ['K', 'L']);
  return { K, d, L, r: p.V === undefined ? 0 : validateLowRank(p.V, K, d) };
}

/** Checks V: K×r×d (a rank that differs between components is a ragged array) and returns r. */
function validateLowRank(V: unknown, K: number, d: number): number {
  const shape = shapeOf(V, 'params.V', 3);
  const r = shape[1] ?? 0;
  // r = 0 hides d: K empty lists have shape [K, 0], which stands for [K, 0, d].
  expectShape('params.V', r === 0 && shape[0] === K ? [K, 0, d] : shape, [K, r, d], ['K', 'r', 'd']);
  return r;
}

/**
 * Checks an input batch x: B×d against the layer's d and returns B.
 * B = 0 (an empty array) is allowed and yields an empty output.
 */
export function validateInput(x: unknown, dims: GMDims, field = 'x'): number {
  const shape = shapeOf(x, field, 2);
  const B = shape[0];
  if (B > 0) expectShape(field, shape, [B, dims.d], ['B', 'd']);
  return B;
}

/** Checks an upstream gradient G: B×L. */
export function validateUpstream(G: unknown, B: number, L: number, field = 'upstream'): Matrix {
  const shape = shapeOf(G, field, 2);
  if (B > 0 || shape[0] !== 0) expectShape(field, shape, [B, L], ['B', 'L']);
  return G as Matrix;
}
