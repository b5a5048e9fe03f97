import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// For `npm run mutate`: Stryker reruns the covering tests once per mutant, and most of a
// rerun's time is re-importing tfjs and its backends. The suites keep no state between
// files that a mutant run could leak (each test sets its backend), so one module graph
// serves all of them.
export default mergeConfig(base, defineConfig({ test: { isolate: false } }));
