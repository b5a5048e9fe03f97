/** The tfjs layer's own errors (src/errors.ts): their names, fields and messages, which the CLI and the bench print. */
import { describe, expect, it } from 'vitest';
import { GMInputError } from '../reference/errors.js';
import { GMBackendError, GMInternalError } from '../src/errors.js';

describe('GMBackendError', () => {
  it('names the field, what was expected and what was found', () => {
    const error = new GMBackendError('backend', 'webgpu to be installed', 'no webgpu package');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GMInputError); // not bad input: the environment
    expect(error.name).toBe('GMBackendError');
    expect(error.message).toBe('backend: expected webgpu to be installed, got no webgpu package');
    expect(error).toMatchObject({ field: 'backend', expected: 'webgpu to be installed', actual: 'no webgpu package' });
  });
});

describe('GMInternalError', () => {
  it('says it is a bug and names the invariant', () => {
    const error = new GMInternalError('the tfjs gradient tape', 'one saved tensor per output', '2');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GMInputError);
    expect(error.name).toBe('GMInternalError');
    expect(error.invariant).toBe('the tfjs gradient tape');
    expect(error.message).toBe(
      'internal error in gmlayer (a bug, not bad input; please report it): the tfjs gradient tape: expected one saved tensor per output, got 2',
    );
  });
});
