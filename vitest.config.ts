import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // TMPDIR for the run, removed after it (test/support/runTmpdir.ts).
    globalSetup: ['test/support/runTmpdir.ts'],
    hookTimeout: 180_000,
    // Child processes and real servers: two cores, so keep parallelism modest.
    maxWorkers: 3,
  },
});
