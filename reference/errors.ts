/**
 * Typed errors for bad input. Every message names the field (a path such as
 * `params.U[2][0]`), what was expected and what was found, so that a user can fix
 * the input without reading the source.
 */

/** Base class of every input error gmlayer throws. */
export class GMInputError extends Error {
  /** Path of the offending field, e.g. `x[3]` or `params.sigma`. */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;

  constructor(field: string, expected: string, actual: string) {
    super(`${field}: expected ${expected}, got ${actual}`);
    this.name = new.target.name;
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Wrong rank, wrong length, ragged nesting, or inconsistent K, d, L, B. */
export class GMShapeError extends GMInputError {}

/** A value that is not a finite number (NaN, ±Infinity, a string, null, …) or out of its domain. */
export class GMValueError extends GMInputError {}

/** Short, printable description of any JSON-ish value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? value.slice(0, 20) + '…' : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}
