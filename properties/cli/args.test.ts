/** The CLI's and the bench's integer flags, and the recognition of Node's parseArgs errors. */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isParseArgsError, parseIntegerFlag, UsageError } from '../../src/cli/args.js';

describe('parseIntegerFlag', () => {
  it('gives the fallback when the flag is absent', () => {
    expect(parseIntegerFlag(undefined, 'epochs', 1, 7)).toBe(7);
    expect(parseIntegerFlag(undefined, 'epochs', 1)).toBeUndefined();
  });

  it.each([
    ['5', 1, 5],
    ['1', 1, 1], // the least value accepted
    [' 12 ', 1, 12], // surrounding blanks, as a shell may pass them
    ['+3', 1, 3],
    ['-2', -5, -2],
    ['007', 0, 7],
  ])('reads %j (min %d) as %d', (text, min, value) => {
    expect(parseIntegerFlag(text, 'n', min)).toBe(value);
  });

  it.each([
    ['0', 1], // below min
    ['zero', 1],
    ['', 1],
    ['1.5', 1],
    ['1e3', 1], // a number, not an integer's digits
    ['0x10', 1], // likewise
    ['5x', 1],
    ['x5', 1],
    ['9007199254740993', 1], // beyond the safe integers
  ])('refuses %j (min %d) with one line naming the flag', (text, min) => {
    expect(() => parseIntegerFlag(text, 'epochs', min)).toThrow(UsageError);
    expect(() => parseIntegerFlag(text, 'epochs', min)).toThrow(`--epochs: expected an integer ≥ ${min}, got ${text}`);
  });
});

describe('isParseArgsError', () => {
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (error) {
      return error;
    }
    throw new Error('no error thrown');
  };

  it('recognises what parseArgs throws for an unknown option and a missing value', () => {
    expect(isParseArgsError(thrown(() => parseArgs({ args: ['--nope'], options: {} })))).toBe(true);
    expect(isParseArgsError(thrown(() => parseArgs({ args: ['--out'], options: { out: { type: 'string' } } })))).toBe(true);
  });

  it('refuses other errors: no code, another code, or not a TypeError', () => {
    expect(isParseArgsError(new TypeError('x'))).toBe(false);
    expect(isParseArgsError(Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
    expect(isParseArgsError(Object.assign(new RangeError('x'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }))).toBe(false);
    expect(isParseArgsError('ERR_PARSE_ARGS_UNKNOWN_OPTION')).toBe(false);
  });
});
