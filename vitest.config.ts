import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/{src,test}/**/*.test.ts',
      'services/*/{src,test}/**/*.test.ts',
      'integrations/*/test/**/*.test.ts',
      'charts/*/tests/**/*.test.ts',
      'tests/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    globalSetup: ['packages/dev-servers/src/vitest-global-setup.ts'],
    // Closes the harnesses each test file opened (@uplink/testing).
    setupFiles: ['packages/testing/src/vitest-setup.ts'],
    // Two cores: two files at a time, each with its own nats-server and database.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
