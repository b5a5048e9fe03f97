/**
 * `gmlayer eval CASE --impl tfjs --backend B --kernels K` on every committed conformance
 * case, every backend and kernel path, held to the case's own float32 tolerance
 * (fixtures/conformance.json, "check").
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { ConformanceFile } from '../../fixtures/conformance.js';
import { runCli } from '../../src/cli/run.js';
import { describeEachPath } from '../support/backends.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/conformance.json', import.meta.url), 'utf8')) as ConformanceFile;
// float32 runs the cases that have a float32 tolerance (the others leave its range).
const cases = fixtures.groups.flatMap((g) => g.cases).filter((c) => c.tolerance.float32 !== undefined);
const dir = mkdtempSync(join(tmpdir(), 'gmlayer-fixtures-'));

type Nested = number | Nested[];
const flat = (value: Nested): number[] => (typeof value === 'number' ? [value] : value.flatMap(flat));

describeEachPath('CLI --impl tfjs on the conformance fixtures', (backend, kernels) => {
  it.each(cases.map((c) => [c.id, c] as const))('%s passes at its float32 tolerance', async (id, c) => {
    const path = join(dir, `${id}.json`);
    writeFileSync(path, JSON.stringify(c.inputs));
    let stdout = '';
    let stderr = '';
    const code = await runCli(['eval', path, '--impl', 'tfjs', '--backend', backend, '--kernels', kernels], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ backend, kernels });
    if (backend === 'webgpu') expect(out.adapter).toMatchObject({ description: expect.any(String), backend: expect.any(String), software: expect.any(Boolean) });
    else expect(out.adapter).toBeUndefined();
    const { factor, floor, magnitude: magnitudes } = c.tolerance.float32!;
    const keys = ['y', 'mu', 'sigma', 'U', 'v', 'x', ...(c.inputs.params.V === undefined ? [] : ['V'])] as const;
    for (const key of keys) {
      const pick = (from: { y: Nested; grad: Record<string, unknown> }) => (key === 'y' ? from.y : (from.grad[key] as Nested));
      const got = flat(pick(out));
      const want = flat(pick(c.expected as never));
      const magnitude = flat(pick(magnitudes as never));
      got.forEach((value, j) => {
        if (!(Math.abs(value - want[j]) <= factor * magnitude[j] + floor)) {
          throw new Error(`${id} ${key}[${j}]: got ${value}, expected ${want[j]} ± ${factor * magnitude[j] + floor}`);
        }
      });
    }
  });
});
