/**
 * Command-line argument helpers shared by the gmlayer CLI and `npm run bench`: one
 * usage error type (printed as one line, exit code 2) and one integer parser.
 */

/** Bad usage the user can fix: printed as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * An integer flag's value, or `fallback` when the flag is absent.
 *
 * @param text  the flag's text as given, undefined when absent.
 * @param flag  the flag's name without dashes, for the message.
 * @param min   the least value accepted.
 * @throws UsageError for anything but an integer ≥ min, e.g. `--epochs: expected an integer ≥ 1, got zero`.
 */
export function parseIntegerFlag(text: string | undefined, flag: string, min: number, fallback: number): number;
export function parseIntegerFlag(text: string | undefined, flag: string, min: number): number | undefined;
export function parseIntegerFlag(text: string | undefined, flag: string, min: number, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag}: expected an integer ≥ ${min}, got ${text}`);
  return n;
}

/** Node's parseArgs errors (unknown option, missing value) carry these codes. */
export function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ?? false);
}
