import { defineConfig } from 'vitest/config';

// Integration and end-to-end tests start real processes and talk to a real Redis, so they
// get generous timeouts; each test file isolates itself with its own Redis key prefix.
export default defineConfig({
  // Tests run the TypeScript sources: the "development" export condition of every workspace
  // package points at src/ (the default condition at the compiled dist/), and Vite resolves
  // with "development" whenever NODE_ENV is not "production" (vitest sets "test"), so no
  // rebuild is needed between an edit and a test run. Processes the tests start get the same
  // condition (`node --conditions=development --import tsx …`).
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2-core machines: keep parallelism modest so process-spawning tests do not starve.
    maxWorkers: 2,
  },
});
