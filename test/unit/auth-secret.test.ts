import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_SECRET_FILE, resolveAuthSecret } from '../../scripts/lib/auth-secret.js';

describe('AUTH_SECRET resolution', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-auth-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a development secret once, keeps it under DATA_DIR (0600), and reuses it', async () => {
    const dataDir = join(dir, 'data');
    const first = resolveAuthSecret({ configured: undefined, dataDir, production: false });
    expect(first).toMatchObject({ source: 'created', path: join(dataDir, AUTH_SECRET_FILE) });
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dataDir, AUTH_SECRET_FILE))).mode & 0o777).toBe(0o600);
    // A restart, a second gateway or `npm run token` on the same DATA_DIR: the same secret.
    const second = resolveAuthSecret({ configured: undefined, dataDir, production: false });
    expect(second).toEqual({ secret: first.secret, source: 'file', path: first.path });
    // Another DATA_DIR: another secret.
    expect(resolveAuthSecret({ configured: undefined, dataDir: join(dir, 'other'), production: false }).secret).not.toBe(first.secret);
  });

  it('reads a secret an operator put in the file', async () => {
    await writeFile(join(dir, AUTH_SECRET_FILE), '  kept-secret\n');
    expect(resolveAuthSecret({ configured: undefined, dataDir: dir, production: false }).secret).toBe('kept-secret');
  });

  it('says so when the file is empty instead of generating over it', async () => {
    await writeFile(join(dir, AUTH_SECRET_FILE), '\n');
    expect(() => resolveAuthSecret({ configured: undefined, dataDir: dir, production: false })).toThrow(/auth-secret is empty/);
  });

  it('uses AUTH_SECRET when set, without touching DATA_DIR', async () => {
    expect(resolveAuthSecret({ configured: 'from-env', dataDir: dir, production: true })).toEqual({ secret: 'from-env', source: 'env' });
    await expect(stat(join(dir, AUTH_SECRET_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to run without AUTH_SECRET in production, and generates nothing', async () => {
    expect(() => resolveAuthSecret({ configured: undefined, dataDir: dir, production: true })).toThrow(
      /AUTH_SECRET: required when NODE_ENV=production/,
    );
    await expect(stat(join(dir, AUTH_SECRET_FILE))).rejects.toThrow(/ENOENT/);
  });
});
