import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
const merged = mergeConfig(base, defineConfig({ test: { isolate: false } }));
merged.test!.include = [
  'properties/data/**/*.test.ts', 'properties/cli/args.test.ts', 'properties/cli/run.test.ts', 'properties/backend/tfjs-version.test.ts', 'properties/errors.test.ts',
  'properties/op/validate.test.ts', 'properties/op/non-finite.test.ts', 'properties/op/normal-f32.test.ts', 'properties/op/tape.test.ts', 'properties/op/scales.test.ts', 'properties/op/comparisons.test.ts',
];
export default merged;
