import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * `npm install` / `npm ci` on Node 20 prints no EBADENGINE warning: every package in
 * package-lock.json accepts the oldest Node that package.json's own `engines.node` promises, and
 * that is a Node 20. A dependency bump to a release that wants Node 22 (as `@nats-io/nuid@3` and
 * `cookie@2` did — see `overrides` in package.json) fails here before anyone sees the warning.
 */

// semver is installed with fastify and dependency-cruiser; it has no types of its own here.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string; major: number } | null;
};

interface LockEntry {
  version?: string;
  engines?: unknown;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

/** The node range a lockfile entry declares, if any (old packages list engines as an array). */
function nodeRange(entry: LockEntry): string | undefined {
  const engines = entry.engines;
  if (typeof engines !== 'object' || engines === null || Array.isArray(engines)) return undefined;
  const node = (engines as Record<string, unknown>).node;
  return typeof node === 'string' ? node : undefined;
}

/** `path@version wants node <range>` for every installed package that refuses `nodeVersion`. */
function refusing(lock: Lockfile, nodeVersion: string): string[] {
  const out: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue; // the project itself
    const range = nodeRange(entry);
    if (range === undefined || semver.satisfies(nodeVersion, range)) continue;
    out.push(`${path}@${entry.version ?? '?'} wants node ${range}`);
  }
  return out;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

describe('install: engines of the installed packages', () => {
  const pkg = readJson('package.json') as { engines: { node: string } };
  const oldest = semver.minVersion(pkg.engines.node);

  it('package.json promises Node 20', () => {
    expect(oldest?.major).toBe(20);
  });

  it('every package in package-lock.json accepts the oldest promised Node', () => {
    const lock = readJson('package-lock.json') as Lockfile;
    expect(Object.keys(lock.packages).length).toBeGreaterThan(50);
    // On a failure: pin the package to a release that supports Node 20 (`overrides`) or replace it.
    expect(refusing(lock, oldest?.version ?? '0.0.0')).toEqual([]);
  });

  it('names a package that wants a newer Node, and ignores ranges it satisfies or has none', () => {
    const lock: Lockfile = {
      packages: {
        '': { engines: { node: '>=99' } },
        'node_modules/new': { version: '3.0.0', engines: { node: '>= 22.x' } },
        'node_modules/late20': { version: '1.0.0', engines: { node: '^20.19.0 || >=22.12.0' } },
        'node_modules/old': { version: '2.0.3', engines: { node: '>= 18.x' } },
        'node_modules/yarnish': { version: '1.0.0', engines: { yarn: '>= 1.3.2' } },
        'node_modules/legacy': { version: '0.1.0', engines: ['node >= 0.4'] },
      },
    };
    expect(refusing(lock, '20.19.0')).toEqual(['node_modules/new@3.0.0 wants node >= 22.x']);
    expect(refusing(lock, '20.0.0')).toEqual([
      'node_modules/new@3.0.0 wants node >= 22.x',
      'node_modules/late20@1.0.0 wants node ^20.19.0 || >=22.12.0',
    ]);
  });
});
