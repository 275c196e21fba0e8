import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENGINE_DOMAINS } from '../../scripts/layout/parts.js';

/**
 * `npm run layout` on the repository itself (dependency-cruiser over the whole tree: seconds of
 * CPU, so not a unit test): every part is listed and drawn, and the tree has no import cycle.
 */

function boxIds(svg: string): string[] {
  return [...svg.matchAll(/<g class="part" data-part="([^"]+)">/g)].map((m) => m[1]!);
}

describe('npm run layout on the real tree', () => {
  it('lists every engine domain and draws a box for each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layout-'));
    try {
      const svgPath = join(dir, 'layout.svg');
      const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/layout.ts', '--svg', svgPath]);
      for (const domain of ENGINE_DOMAINS) expect(stdout).toMatch(new RegExp(`^engine/${domain} +\\d+ +\\d+ +\\d+`, 'm'));
      for (const name of ['engine (composition)', 'gateway/web (browser)', 'gateway', 'models', 'scripts'])
        expect(stdout).toMatch(new RegExp(`^${name.replace(/[()]/g, '\\$&')} +\\d+`, 'm'));
      expect(stdout).toContain('Import cycles between files: none');
      const ids = boxIds(await readFile(svgPath, 'utf8'));
      expect(ids).toEqual(expect.arrayContaining([...ENGINE_DOMAINS.map((d) => `engine/${d}`), 'engine (composition)']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
