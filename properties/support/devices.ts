/**
 * node:fs for vi.mock('node:fs'): the real module with some functions replaced, in its
 * named exports and its default export alike (src/ imports both ways). The WebGPU suites
 * use withDevices to make the device nodes a GPU driver exposes on Linux.
 */
import type * as fs from 'node:fs';

/** The real node:fs with `overrides` in place of its functions of those names. */
export function withFs(real: typeof fs, overrides: Partial<typeof fs>): Record<string, unknown> {
  return { ...real, default: { ...real, ...overrides }, ...overrides };
}

/** readdirSync answers for the device folders given (a listing, or undefined for a missing folder) and reads every other folder for real. */
export function withDevices(real: typeof fs, devices: Record<string, string[] | undefined>): Record<string, unknown> {
  const readdirSync = (path: string, ...rest: unknown[]) => {
    if (!(path in devices)) return (real.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
    const listed = devices[path];
    if (listed === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, scandir '${path}'`), { code: 'ENOENT' });
    return listed;
  };
  return withFs(real, { readdirSync: readdirSync as typeof fs.readdirSync });
}
