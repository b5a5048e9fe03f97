/**
 * Bad input gets a typed error that names the field, the expected and the actual value.
 */
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { GMShapeError, GMValueError, describeValue } from '../../reference/errors.js';
import { gmForward } from '../../reference/closed-form.js';
import { gmGradients } from '../../reference/gradients.js';
import { parseCase } from '../../reference/case.js';
import { gmCase } from '../support/arbitraries.js';

const good = () => ({
  params: {
    mu: [[1, 2, 3], [0, -1, 0.5]],
    sigma: [[0.5, 0.5, 0.5], [-1, 0, 2]],
    U: [[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 1, 1]]],
    v: [[0, 1], [2, 3]],
  },
  x: [[1, 1, 1]],
});

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** Mutates a good case and expects parseCase to throw errorClass naming `field`. */
function expectCaseError(mutate: (c: any) => unknown, errorClass: typeof GMShapeError | typeof GMValueError, field: string, message: RegExp): void {
  const c = good();
  mutate(c);
  const error = thrown(() => parseCase(c));
  expect(error).toBeInstanceOf(errorClass);
  expect((error as GMShapeError).field).toBe(field);
  expect(error.message).toMatch(message);
}

describe('shape errors name the field, the expected and the actual shape', () => {
  it.each([
    ['K = 0', (c: any) => (c.params = { mu: [], sigma: [], U: [], v: [] }), 'params.mu', /K ≥ 1.*got K = 0/],
    ['d = 0', (c: any) => (c.params.mu = [[], []]), 'params.mu', /d ≥ 1 input dimensions .*, got d = 0/],
    ['ragged μ', (c: any) => (c.params.mu[1] = [0, 1]), 'params.mu[1]', /length 3 like params\.mu\[0\].*got length 2/],
    ['σ with the wrong d', (c: any) => (c.params.sigma = [[1, 2], [3, 4]]), 'params.sigma', /shape \[K=2, d=3\], got shape \[2, 2\]/],
    ['U with the wrong K', (c: any) => c.params.U.pop(), 'params.U', /shape \[K=2, L=2, d=3\]/],
    ['ragged U', (c: any) => c.params.U[1][0].push(4), 'params.U[1][0]', /ragged/],
    ['v with the wrong L', (c: any) => (c.params.v = [[0], [1]]), 'params.v', /shape \[K=2, L=2\], got shape \[2, 1\]/],
    ['L = 0', (c: any) => (c.params.U = [[], []]), 'params.U', /L ≥ 1 outputs .*, got L = 0/],
    ['U an empty list (K = 0, not L = 0)', (c: any) => (c.params.U = []), 'params.U', /shape \[K=2, L=0, d=3\], got shape \[0\]/],
    ['x with the wrong d', (c: any) => (c.x = [[1, 2]]), 'x', /shape \[B=1, d=3\], got shape \[1, 2\]/],
    ['ragged x', (c: any) => c.x.push([1, 2]), 'x[1]', /length 3 like x\[0\]/],
    ['x not an array', (c: any) => (c.x = 'abc'), 'x', /an array/],
    ['params missing', (c: any) => delete c.params, 'params', /an object with fields mu, sigma, U, v/],
    ['a field missing', (c: any) => delete c.params.v, 'params.v', /a field \(see the case format\), got nothing/],
    ['params null', (c: any) => (c.params = null), 'params', /an object with fields mu, sigma, U, v.*, got null/],
    ['upstream with the wrong L', (c: any) => (c.upstream = [[1, 2, 3]]), 'upstream', /shape \[B=1, L=2\]/],
    ['upstream empty for a batch of one', (c: any) => (c.upstream = []), 'upstream', /shape \[B=1, L=2\], got shape \[0\]/],
    ['upstream rows for an empty batch', (c: any) => ((c.x = []), (c.upstream = [[1, 2]])), 'upstream', /shape \[B=0, L=2\], got shape \[1, 2\]/],
    ['V with the wrong K', (c: any) => (c.params.V = [[[1, 0, 0]]]), 'params.V', /shape \[K=2, r=1, d=3\], got shape \[1, 1, 3\]/],
    ['V with the wrong d', (c: any) => (c.params.V = [[[1, 0]], [[0, 1]]]), 'params.V', /shape \[K=2, r=1, d=3\], got shape \[2, 1, 2\]/],
    ['a rank that differs between components', (c: any) => (c.params.V = [[[1, 0, 0]], [[0, 1, 0], [0, 0, 1]]]), 'params.V[1]', /length 1 like params\.V\[0\] \(ragged array\), got length 2/],
    ['V of rank 2', (c: any) => (c.params.V = [[[1, 0, 0], [0, 1, 0]], [[0, 1, 0]]]), 'params.V[1]', /ragged/],
    ['V an empty list', (c: any) => (c.params.V = []), 'params.V', /shape \[K=2, r=0, d=3\], got shape \[0\]/],
    ['V as K + 1 empty lists', (c: any) => (c.params.V = [[], [], []]), 'params.V', /shape \[K=2, r=0, d=3\], got shape \[3, 0\]/],
    ['V a matrix', (c: any) => (c.params.V = [[1, 0, 0], [0, 1, 0]]), 'params.V[0][0]', /an array/],
  ])('%s', (_name, mutate, field, message) => expectCaseError(mutate, GMShapeError, field, message));

  it('takes V of rank 0 as K empty lists and of rank r as K r×d arrays, and reports r', () => {
    const rank0 = good() as any;
    rank0.params.V = [[], []];
    expect(parseCase(rank0).dims).toMatchObject({ K: 2, d: 3, L: 2, r: 0 });
    const rank1 = good() as any;
    rank1.params.V = [[[1, 0, 0]], [[0, 0, 2]]];
    expect(parseCase(rank1).dims).toMatchObject({ r: 1 });
    expect(parseCase(good()).dims).toMatchObject({ r: 0 });
  });
});

describe('value errors name the entry', () => {
  it.each([
    ['NaN in x', (c: any) => (c.x[0][2] = NaN), 'x[0][2]', /a finite number, got NaN/],
    ['Infinity in σ', (c: any) => (c.params.sigma[1][0] = Infinity), 'params.sigma[1][0]', /got Infinity/],
    ['−Infinity in U', (c: any) => (c.params.U[0][1][2] = -Infinity), 'params.U[0][1][2]', /got -Infinity/],
    ['a string in v', (c: any) => (c.params.v[1][1] = '3'), 'params.v[1][1]', /got "3"/],
    ['null in μ', (c: any) => (c.params.mu[0][0] = null), 'params.mu[0][0]', /got null/],
  ])('%s', (_name, mutate, field, message) => expectCaseError(mutate, GMValueError, field, message));
});

describe('empty batches', () => {
  it('B = 0 gives an empty output and empty x-gradient', () => {
    const c = good();
    expect(gmForward(c.params, [])).toEqual([]);
    const { y, grad } = gmGradients(c.params, []);
    expect(y).toEqual([]);
    expect(grad.x).toEqual([]);
    expect(grad.mu).toEqual([[0, 0, 0], [0, 0, 0]]);
  });
});

describe('every entry point rejects NaN wherever it appears', () => {
  test.prop([gmCase(), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)])('gmForward and gmGradients', (c, at, bad) => {
    const slots = [c.params.mu, c.params.sigma, ...c.params.U, c.params.v, c.x].flatMap((m) => m);
    const row = slots[at % slots.length];
    row[at % row.length] = bad;
    expect(() => gmForward(c.params, c.x)).toThrow(GMValueError);
    expect(() => gmGradients(c.params, c.x, c.G)).toThrow(GMValueError);
  });
});

describe('the case itself', () => {
  it.each([
    ['null', null, 'a case object', 'null'],
    ['an array', [], 'a case object', 'an array of length 0'],
    ['a string', 'case', 'a case object', '"case"'],
  ])('refuses %s as the whole case', (_name, value, _what, actual) => {
    const error = thrown(() => parseCase(value));
    expect(error).toBeInstanceOf(GMShapeError);
    expect(error.message).toBe(`case: expected an object with fields params, x and optionally upstream, got ${actual}`);
  });

  it('refuses a case without x, naming it', () => {
    const { x: _, ...noX } = good();
    expect(thrown(() => parseCase(noX)).message).toBe('x: expected a B×d array, got nothing');
  });

  it.each([
    ['a top-level field', (c: any) => (c.upstreams = [[1, 1]]), 'upstreams: expected one of the fields params, x, upstream, got an unknown field'],
    ['a parameter', (c: any) => (c.params.W = []), 'params.W: expected one of the fields mu, sigma, U, v, V, got an unknown field'],
  ])('refuses an unknown %s, naming it and the known ones', (_name, mutate, message) => {
    const c = good();
    mutate(c);
    const error = thrown(() => parseCase(c));
    expect(error).toBeInstanceOf(GMShapeError);
    expect(error.message).toBe(message);
  });

  it('names the rank still missing in a too-shallow array', () => {
    const c = good();
    (c.params as any).U = [[1, 2, 3], [4, 5, 6]];
    expect(thrown(() => parseCase(c)).message).toBe('params.U[0][0]: expected an array (rank 1 more), got 1');
  });
});

describe('describeValue', () => {
  it.each([
    [NaN, 'NaN'],
    [-0.5, '-0.5'],
    ['short', '"short"'],
    ['a string longer than twenty characters', '"a string longer than…"'],
    ['exactly twenty chars', '"exactly twenty chars"'],
    [[1, 2, 3], 'an array of length 3'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'object'],
    [true, 'boolean'],
  ])('%j reads %s', (value, text) => expect(describeValue(value)).toBe(text));
});
