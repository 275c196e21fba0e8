import { defineConfig } from 'vitest/config';

// Integration and end-to-end files each start their own nats-server and redis-server,
// so two workers (one per core on CI) keep the wall time low without starving the servers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
