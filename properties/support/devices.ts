/**
 * node:fs for vi.mock('node:fs'): readdirSync answers for the device folders given (a
 * listing, or undefined for a missing folder) and reads every other folder for real. The
 * WebGPU suites use it to make the device nodes a GPU driver exposes on Linux.
 */
import type * as fs from 'node:fs';

export function withDevices(real: typeof fs, devices: Record<string, string[] | undefined>): Record<string, unknown> {
  const readdirSync = (path: string, ...rest: unknown[]) => {
    if (!(path in devices)) return (real.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
    const listed = devices[path];
    if (listed === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, scandir '${path}'`), { code: 'ENOENT' });
    return listed;
  };
  return { ...real, default: { ...real, readdirSync }, readdirSync };
}
