import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import base from './vitest.config.js';

/**
 * Suites that need a module graph of their own, as vitest's isolation gives them in
 * `npm test`: they mock a module for the whole graph (vi.mock), restart a backend (which
 * must then hold no tensor of another file), or need the state of a fresh process (the
 * loops not compiled, no GM call made yet, the adapter probe not run, the wasm heap at its
 * initial size). Each file's header says which.
 */
const OWN_WORKER = [
  'properties/backend/wasm-threads.test.ts',
  'properties/backend/wasm-threads-steps.test.ts',
  'properties/op/fused/wasm-compile-refused.test.ts',
  'properties/op/fused/first-call.test.ts',
  'properties/op/fused/no-simd.test.ts',
  'properties/backend/webgpu-no-adapter.test.ts',
  'properties/backend/webgpu-adapters.test.ts',
  'properties/backend/webgpu-own-navigator.test.ts',
  'properties/backend/webgpu-software-only.test.ts',
  'properties/backend/webgpu-platforms.test.ts',
  'properties/op/deferred-check.test.ts',
  'properties/backend/no-backend.test.ts',
  'properties/op/fused/wasm-heap-growth.test.ts',
  'properties/op/fused/wasm-heap-refused.test.ts',
];

/**
 * For `npm run mutate`: Stryker reruns the covering tests once per mutant, and most of a
 * rerun's time is re-importing tfjs and its backends. The suites keep no state between
 * files that a mutant run could leak (each test sets its backend), so one module graph
 * serves all of them, except the OWN_WORKER ones: they run isolated, as in `npm test`.
 * `include` narrows the test files (globs), for a run over part of the tree.
 */
export function strykerConfig(include = base.test!.include!) {
  const project = (name: string, test: TestProjectInlineConfiguration['test']): TestProjectInlineConfiguration => ({ test: { ...base.test, name, ...test } });
  const isolated = include.filter((file) => OWN_WORKER.includes(file));
  return defineConfig({
    test: {
      projects: [
        project('shared-graph', { include, exclude: [...configDefaults.exclude, ...OWN_WORKER], isolate: false }),
        ...(include === base.test!.include || isolated.length > 0 ? [project('own-worker', { include: isolated.length > 0 ? isolated : OWN_WORKER })] : []),
      ],
    },
  });
}

export default strykerConfig();
