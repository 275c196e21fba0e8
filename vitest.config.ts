import { defineConfig } from 'vitest/config';

/**
 * Unit files that need a module graph of their own: a module mock (docs-openapi) and TF.js loaded
 * for the first time in the process (models-backend). They run isolated, as end-to-end files do.
 */
const OWN_MODULES = ['test/unit/docs-openapi.test.ts', 'test/unit/models-backend.test.ts'];

// Two workers (one per core on CI) for both projects together. Unit and integration files share
// one process per worker (`isolate: false`): a fresh process and module graph per file was most of
// a unit file's time. They leave nothing behind that another file sees: an integration file starts
// its own nats-server and redis-server on free ports. End-to-end files start Pulse's own processes
// (and Chromium) and run in a process of their own each.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          exclude: OWN_MODULES,
          isolate: false,
        },
      },
      {
        extends: true,
        // End-to-end files run Pulse from a build made once per run (test/global-build.ts).
        test: { name: 'own-process', include: ['test/e2e/**/*.test.ts', ...OWN_MODULES], globalSetup: ['test/global-build.ts'] },
      },
    ],
  },
});
