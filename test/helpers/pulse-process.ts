import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort } from './servers.js';
import { TEST_BUILD } from './test-build.js';
import { waitFor } from './wait-for.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type PulseRole = 'start' | 'engine' | 'gateway';

/** A Pulse role running as its own Node process, started the way `npm run <role>` starts it. */
export interface PulseProcess {
  role: PulseRole;
  /** HTTP port (gateway and start); 0 for a lone engine. */
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** Recent output, for failure messages. */
  output(): string;
  /** SIGTERM and wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: no cleanup, no acks, leases left to expire. */
  kill(): Promise<void>;
}

export interface SpawnPulseOptions {
  natsUrl: string;
  redisUrl: string;
  authSecret: string;
  env?: Record<string, string>;
  /** Wait until /readyz is 200 (gateway roles) or the engine logs that it started. */
  waitReady?: boolean;
  timeoutMs?: number;
}

export async function spawnPulse(role: PulseRole, options: SpawnPulseOptions): Promise<PulseProcess> {
  // A fixed PORT in env (a gateway restarted on the same address) wins over a free one.
  const port = role === 'engine' ? 0 : options.env?.PORT !== undefined ? Number(options.env.PORT) : await freePort();
  // A private DATA_DIR unless the test gives one: models trained in ./data must not leak into tests.
  const ownDataDir = options.env?.DATA_DIR === undefined;
  const dataDir = options.env?.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'pulse-data-')));
  const removeDataDir = async () => {
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  // From the build the end-to-end project makes once per run (test/global-build.ts), as `npm start`
  // runs dist/; through tsx where there is none (a file run outside that project).
  const built = join(TEST_BUILD, 'scripts', `${role}.js`);
  const entry = existsSync(built) ? [built] : ['--import', 'tsx', join(root, 'scripts', `${role}.ts`)];
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: {
      ...process.env,
      NATS_URL: options.natsUrl,
      REDIS_URL: options.redisUrl,
      AUTH_SECRET: options.authSecret,
      PORT: String(port),
      ENGINE_PORT: '0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DATA_DIR: dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const proc: PulseProcess = {
    role,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop(graceMs = 8000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      await removeDataDir();
    },
    async kill() {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
      await removeDataDir();
    },
  };

  if (options.waitReady !== false) {
    const ready = async () => {
      if (!alive()) throw new Error(`pulse ${role} exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
      return role === 'engine' ? output.includes('"msg":"engine started"') : await isReady(proc.baseUrl);
    };
    // An early exit fails at once (kill() is then a no-op); a timeout kills the process.
    await waitFor(`pulse ${role} to be ready`, ready, {
      timeoutMs: options.timeoutMs ?? 30_000,
      intervalMs: 100,
      output: () => output,
    }).catch(async (error: unknown) => {
      await proc.kill();
      throw error;
    });
  }
  return proc;
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/readyz`);
    return res.status === 200;
  } catch {
    return false;
  }
}
