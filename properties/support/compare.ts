/**
 * Entry-by-entry comparison of nested arrays against a per-entry tolerance, failing
 * with the worst offender's path, values and tolerance. NaN or ±∞ on either side
 * always fails (unlike tfjs's own expectArraysClose), and so does a tolerance that is
 * negative or NaN.
 */
export type Nested = number | Nested[];

function flatten(value: Nested, path: string, out: [string, number][]): void {
  if (typeof value === 'number') out.push([path, value]);
  else value.forEach((child, j) => flatten(child, `${path}[${j}]`, out));
}

/**
 * Asserts |actual − expected| ≤ tolerance entry by entry, where tolerance is a number
 * or an array of the same shape.
 */
export function expectClose(actual: Nested, expected: Nested, tolerance: Nested | number, label: string): void {
  const a: [string, number][] = [];
  const e: [string, number][] = [];
  flatten(actual, label, a);
  flatten(expected, label, e);
  if (a.length !== e.length) throw new Error(`${label}: ${a.length} entries, expected ${e.length}`);
  let tol: number[];
  if (typeof tolerance === 'number') tol = e.map(() => tolerance);
  else {
    const t: [string, number][] = [];
    flatten(tolerance, label, t);
    tol = t.map(([, value]) => value); // no push(...t): d = 784 gradients overflow the stack
  }
  let worst = -1;
  let worstRatio = 1;
  for (let j = 0; j < a.length; j++) {
    const [, got] = a[j];
    const [, want] = e[j];
    if (!Number.isFinite(got) || !Number.isFinite(want)) {
      throw new Error(`${a[j][0]}: got ${got}, expected ${want} (non-finite)`);
    }
    // A negative or NaN tolerance would make every ratio below pass: it is a broken bound, not a loose one.
    if (!(tol[j] >= 0)) throw new Error(`${a[j][0]}: the tolerance is ${tol[j]}, expected a number ≥ 0`);
    const ratio = Math.abs(got - want) / tol[j];
    if (ratio > worstRatio) {
      worst = j;
      worstRatio = ratio;
    }
  }
  if (worst >= 0) {
    const [path, got] = a[worst];
    throw new Error(
      `${path}: got ${got}, expected ${e[worst][1]} ± ${tol[worst]} (off by ${Math.abs(got - e[worst][1])}, ${worstRatio.toPrecision(3)}× the tolerance)`,
    );
  }
}

/** Maps a function over every number of a nested array. */
export function mapNested<T extends Nested>(value: T, f: (z: number) => number): T {
  return (typeof value === 'number' ? f(value) : value.map((child) => mapNested(child, f))) as T;
}
