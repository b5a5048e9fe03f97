/**
 * Versions of the installed packages that decide the numbers: tfjs, its backends and
 * WebGPU's binding (reported by the suites and recorded by run dirs).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export const TFJS_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
] as const;

const require = createRequire(import.meta.url);

/** The installed version of a package, found by walking up from its entry point; undefined when absent. */
export function packageVersion(name: string): string | undefined {
  try {
    const main = require.resolve(name);
    let dir = dirname(main);
    for (let j = 0; j < 6; j++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version;
      } catch {
        // keep walking up
      }
    }
  } catch {
    // not installed
  }
  return undefined;
}

/** The installed versions of the named packages, the absent ones left out. */
export function packageVersions(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => {
    const version = packageVersion(name);
    return version === undefined ? [] : [[name, version]];
  }));
}
