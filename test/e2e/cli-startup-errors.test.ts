import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.js';
import { REPO_ROOT, runScript } from '../helpers/run-script.js';

/**
 * Issue 16: the commands other than `npm start` report a bad configuration as it does (every bad
 * variable at once, one line each, no stack, exit 1), and a server named in the environment that
 * cannot be reached is one line on stderr, without a log record of the error's stack and causes.
 */

const root = REPO_ROOT;

const run = runScript;

describe('a command with a bad configuration', () => {
  it('npm run import: one line for the bad PORT, exit 1, no stack', async () => {
    const { code, stdout, stderr } = await run('import.ts', ['--items', join(root, 'no-such-file.jsonl')], { PORT: 'abc' });
    expect(stderr.trimEnd().split('\n'), stderr).toEqual([
      expect.stringMatching(/^import: configuration: PORT: expected an integer in \[0, 65535\], got "abc"$/),
    ]);
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });

  it('npm run train: every bad variable at once, one line each', async () => {
    const { code, stderr } = await run('train.ts', ['--events', join(root, 'no-such-file.jsonl')], {
      PULSE_PARTITIONS: '0',
      NATS_URL: 'http://x',
    });
    const lines = stderr.trimEnd().split('\n');
    expect(lines.map((line) => line.match(/^train: configuration: ([A-Z_]+): /)?.[1]).sort(), stderr).toEqual([
      'NATS_URL',
      'PULSE_PARTITIONS',
    ]);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(code).toBe(1);
  });
});

describe('a server named in the environment that cannot be reached', () => {
  it('npm run gateway with an unreachable NATS_URL: one line on stderr, no error dump in the log, exit 1', async () => {
    const closed = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-unreachable-'));
    try {
      const { code, stdout, stderr } = await run('gateway.ts', [], {
        NATS_URL: `nats://user:hunter2@127.0.0.1:${closed}`,
        DATA_DIR: dataDir,
        AUTH_SECRET: '',
        NODE_ENV: 'development',
      });
      expect(stderr.trimEnd().split('\n'), stderr).toEqual([
        expect.stringMatching(new RegExp(`^pulse-gateway: cannot reach NATS at nats://user:\\*\\*\\*@127\\.0\\.0\\.1:${closed}: `)),
      ]);
      // The password is not printed, and no log record carries the error's stack.
      expect(stdout + stderr).not.toContain('hunter2');
      expect(stdout).not.toMatch(/"level":60|"stack"/);
      expect(code).toBe(1);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
