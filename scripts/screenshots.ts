// `npm run screenshots`: refreshes the README's images in `docs/images/` (tracked) by running the
// browser tests that take them with UPDATE_SCREENSHOTS=1. A plain `npm test` writes its screenshots
// into the git-ignored `test/.output/screenshots/` instead, so images change only on purpose.
import { spawnSync } from 'node:child_process';

const BROWSER_TESTS = ['test/e2e/browser-widget.test.ts', 'test/e2e/browser-store.test.ts', 'test/e2e/browser-console.test.ts'];

const result = spawnSync('npx', ['vitest', 'run', ...BROWSER_TESTS], {
  stdio: 'inherit',
  env: { ...process.env, UPDATE_SCREENSHOTS: '1' },
});
if (result.error) throw result.error;
process.exitCode = result.status ?? 1;
