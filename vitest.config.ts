import { defineConfig } from 'vitest/config';

// Integration and end-to-end tests start real processes and talk to a real Redis, so they
// get generous timeouts; each test file isolates itself with its own Redis key prefix.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2-core machines: keep parallelism modest so process-spawning tests do not starve.
    maxWorkers: 2,
  },
});
