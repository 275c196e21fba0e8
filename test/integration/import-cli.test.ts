import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeGateway, TOKEN } from '../helpers/import-gateway.js';

// The command itself, run as a child process (tsx): kept out of test/unit, which starts no processes.
describe('npm run import (the command)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], {
        env: { ...process.env, AUTH_SECRET: '', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('exits 0 with a summary, 2 without a token or with bad options, 1 when the server is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-import-cli-'));
    const gateway = new FakeGateway();
    await gateway.start();
    try {
      const path = join(dir, 'events.jsonl');
      await writeFile(path, `${JSON.stringify({ type: 'view', itemId: 'x', userId: 'u1' })}\nnot json\n`);
      const ok = await run(['--events', path, '--url', gateway.url, '--token', TOKEN], {});
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('accepted  1');
      expect(ok.stdout).toContain('invalid_json');
      expect(ok.stdout).toContain('(lines 2)');

      const noToken = await run(['--events', path, '--url', gateway.url], {});
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toMatch(/an admin token is needed/);

      const both = await run(['--events', path, '--items', path, '--token', 't'], {});
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/exactly one of --items FILE, --members FILE, --events FILE or --orders FILE/);

      const badBatch = await run(['--events', path, '--batch', '5000', '--token', 't'], {});
      expect(badBatch.code).toBe(2);
      expect(badBatch.stderr).toMatch(/--batch must be an integer in \[1, 1000\]/);

      await gateway.close();
      const gone = await run(['--events', path, '--url', gateway.url, '--token', TOKEN], {});
      expect(gone.code).toBe(1);
      expect(gone.stdout).toMatch(/ABORTED.*server unreachable/);
    } finally {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
