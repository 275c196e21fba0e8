import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the end-to-end project's global set-up (test/global-build.ts) builds Pulse once per run. */
export const TEST_BUILD = join(ROOT, 'test', '.output', 'pulse-build');
