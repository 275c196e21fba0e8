import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private servers for tests and the benchmark: each call starts its own nats-server (JetStream,
 * temp store dir) or redis-server (no persistence) on a free loopback port, never the machine's
 * default ones. A missing binary fails with the Debian package to install.
 */
export interface LocalServer {
  url: string;
  port: number;
  /** The server process's id (the benchmark reads its CPU time from /proc/<pid>/stat). */
  pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The name the test helpers have always used. */
export type TestServer = LocalServer;

/** How long a server may take to open its port (ms). */
const START_TIMEOUT_MS = 15_000;
/** Grace between SIGTERM and SIGKILL on stop (ms). */
const STOP_GRACE_MS = 3000;

function requireBinary(binary: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${binary} not found on PATH: install the Debian package '${debianPackage}' (apt-get install ${debianPackage}).`);
  }
}

/** A TCP port free on 127.0.0.1 right now (another process may still take it before you do). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not open port ${port} within ${timeoutMs} ms:\n${output()}`);
}

async function startProcess(binary: string, args: (port: number, dir: string) => string[], prefix: string): Promise<{ port: number; pid: number | undefined; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const port = await freePort();
  const child = spawn(binary, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (e.g. EACCES) arrives as an event; waitForPort sees the exit.
  child.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await waitForPort(port, child, () => output, START_TIMEOUT_MS);
  } catch (err) {
    // Nothing half-started is left behind: no process, no temp dir.
    await stop();
    throw err;
  }
  return { port, pid: child.pid, stop };
}

export async function startNats(): Promise<LocalServer> {
  requireBinary('nats-server', 'nats-server');
  const server = await startProcess('nats-server', (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], 'pulse-nats-');
  return { ...server, url: `nats://127.0.0.1:${server.port}` };
}

export async function startRedis(): Promise<LocalServer> {
  requireBinary('redis-server', 'redis-server');
  const server = await startProcess(
    'redis-server',
    (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    'pulse-redis-',
  );
  return { ...server, url: `redis://127.0.0.1:${server.port}` };
}
