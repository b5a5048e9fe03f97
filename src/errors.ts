/**
 * Errors of the tfjs layer that are not about the caller's data (those are the
 * GMInputError family of reference/errors.ts):
 *
 *   GMBackendError   the environment cannot do what was asked; the message says what to
 *                    install or choose instead. The CLI reports it as bad usage (exit 2).
 *   GMInternalError  an internal invariant failed: a bug in gmlayer, or a tfjs release it
 *                    does not support. Never caused by input. The CLI exits 1.
 */

/**
 * A backend that is absent or fails to start, kernels the active backend cannot run,
 * or a tfjs peer of an unsupported version (or a second copy of it).
 */
export class GMBackendError extends Error {
  /** What was being set up, e.g. `backend` or `options.kernels`. */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;

  constructor(field: string, expected: string, actual: string) {
    super(`${field}: expected ${expected}, got ${actual}`);
    this.name = 'GMBackendError';
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** An internal invariant that failed; the message says which, and that it is a bug. */
export class GMInternalError extends Error {
  /** The invariant, e.g. `the tfjs gradient tape`. */
  readonly invariant: string;

  constructor(invariant: string, expected: string, actual: string) {
    super(`internal error in gmlayer (a bug, not bad input; please report it): ${invariant}: expected ${expected}, got ${actual}`);
    this.name = 'GMInternalError';
    this.invariant = invariant;
  }
}
