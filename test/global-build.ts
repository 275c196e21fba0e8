/**
 * Global set-up of the end-to-end project (vitest.config.ts): builds Pulse once per run into
 * test/.output/pulse-build (git-ignored), the same build `npm run build` makes, and end-to-end tests
 * run Pulse's processes from it with plain Node (test/helpers/pulse-process.ts), as `npm start`
 * runs dist/. Measured here: a Pulse start to ready costs ~1.7 s of CPU from the build against
 * ~2.7 s through tsx, and a run starts ~50. Not dist/ itself: `production-start` rebuilds dist/
 * while other files run.
 */
import { execFileSync } from 'node:child_process';
import { TEST_BUILD, ROOT } from './helpers/test-build.js';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--out', TEST_BUILD], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
