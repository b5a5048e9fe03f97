import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts', 'reference/**/*.test.ts', 'src/**/*.test.ts'],
    // The property suites are CPU-bound; two cores on CI.
    setupFiles: ['properties/setup.ts'],
    globalSetup: ['properties/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
