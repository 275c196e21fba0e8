import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenService } from '../../gateway/auth.js';
import { runScript } from '../helpers/run-script.js';

/** Runs `npm start`'s script with `env` until it exits (the configuration fails before any server). */
const runStart = (env: Record<string, string>) => run('start.ts', [], env);

const run = runScript;

describe('npm start with a bad configuration', () => {
  it('names every bad variable, one line each on stderr, no stack, exit 1', async () => {
    const { code, stderr } = await runStart({ PORT: 'abc', RECOMMEND_K: '0', DIVERSITY: '2' });
    const lines = stderr.trimEnd().split('\n');
    expect(lines, stderr).toHaveLength(3);
    expect(lines.map((line) => line.match(/^pulse: configuration: ([A-Z_]+): /)?.[1]).sort()).toEqual(['DIVERSITY', 'PORT', 'RECOMMEND_K']);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(code).toBe(1);
  });

  it('refuses to start in production without AUTH_SECRET, in one line', async () => {
    const { code, stderr } = await runStart({ NODE_ENV: 'production', AUTH_SECRET: '' });
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^pulse: configuration: AUTH_SECRET: required when NODE_ENV=production/),
    ]);
    expect(code).toBe(1);
  });
});

describe('npm run token without AUTH_SECRET (development)', () => {
  it('signs with the secret kept under DATA_DIR, the one `npm start` uses', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-token-'));
    try {
      const { code, stdout, stderr } = await run('token.ts', ['--role', 'admin'], {
        DATA_DIR: dataDir,
        AUTH_SECRET: '',
        NODE_ENV: 'development',
      });
      expect(code, stderr).toBe(0);
      const secret = (await readFile(join(dataDir, 'auth-secret'), 'utf8')).trim();
      expect(await new TokenService(secret).verify(stdout.trim())).toMatchObject({ sub: 'admin', role: 'admin' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
