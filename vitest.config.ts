import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'interop/**/*.test.ts'],
    // Two cores here: more workers only thrash. Heavy interop files run in their own forks.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    setupFiles: ['./test-support/setup.ts'],
  },
});
