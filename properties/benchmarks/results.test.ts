/**
 * The speed report warns when other work shared the machine (benchmarks/results.ts).
 */
import { describe, expect, it } from 'vitest';
import { busyWarning, machine } from '../../benchmarks/results.js';

describe('busyWarning', () => {
  const host = { ...machine(), cores: 2 };
  it.each([
    [undefined, false],
    [0.2, false],
    [1, false],
    [1.6, true],
  ])('load %s on 2 cores: warns %s', (load, warns) => {
    const line = busyWarning({ ...host, ...(load !== undefined && { load }) });
    expect(line !== undefined).toBe(warns);
    if (warns) expect(line).toMatch(/^the machine was busy \(load average 1\.6 on 2 cores at the start\)/);
  });
});
