import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
const merged = mergeConfig(base, defineConfig({ test: { isolate: false } }));
merged.test!.include = ['properties/data/**/*.test.ts', 'properties/cli/args.test.ts', 'properties/backend/tfjs-version.test.ts', 'properties/cli/run.test.ts'];
export default merged;
