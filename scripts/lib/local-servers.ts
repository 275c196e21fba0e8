import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private servers for tests and the benchmark: each call starts its own nats-server (JetStream,
 * temp store dir) or redis-server (append-only file in its temp dir, as the engine requires unless
 * REDIS_EPHEMERAL_OK; `{persistence: 'none'}` for one that keeps nothing) on a free loopback port,
 * never the machine's default ones. A missing binary fails with the Debian package to install.
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
/** Ports tried when another process takes the probed free port before the server binds it. */
const PORT_ATTEMPTS = 5;
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
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
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

/** A redis-server that can also crash and come back on the same port and data dir. */
export interface RedisServer extends LocalServer {
  /** Its data directory (the AOF lives in `appendonlydir/` under it). */
  dir: string;
  /** SIGKILL, as a crash would: no final fsync or rewrite; the data dir is kept. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir (after `kill`), waiting until it accepts connections. */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** `aof` (default): `appendonly yes`, as production should run; `none`: no AOF and no snapshots. */
  persistence?: 'aof' | 'none';
}

interface Launched {
  child: ChildProcess;
  output: () => string;
}

/** Spawns `binary` and waits for it to open `port`; a process that fails to is killed before rejecting. */
async function launch(binary: string, args: string[], port: number): Promise<Launched> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (e.g. EACCES) arrives as an event; waitForPort sees the exit.
  child.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  try {
    await waitForPort(port, child, () => output, START_TIMEOUT_MS);
  } catch (err) {
    await signalAndWait(child, 'SIGKILL');
    throw err;
  }
  return { child, output: () => output };
}

/** Sends `signal` (SIGKILL after STOP_GRACE_MS when it is SIGTERM) and waits for the exit. */
/** Tries a free port; when another process took it between the probe and the bind, tries another (a few times). */
async function launchOnFreePort(binary: string, args: (port: number) => string[]): Promise<Launched & { port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { ...(await launch(binary, args(port), port)), port };
    } catch (err) {
      const taken = err instanceof Error && /address already in use/i.test(err.message);
      if (!taken || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function startProcess(
  binary: string,
  args: (port: number, dir: string) => string[],
  prefix: string,
): Promise<{ port: number; pid: number | undefined; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let launched: Launched & { port: number };
  try {
    launched = await launchOnFreePort(binary, (port) => args(port, dir));
  } catch (err) {
    // Nothing half-started is left behind: no process, no temp dir.
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { child, port } = launched;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await signalAndWait(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    })());
  return { port, pid: child.pid, stop };
}

export async function startNats(): Promise<LocalServer> {
  requireBinary('nats-server', 'nats-server');
  const server = await startProcess(
    'nats-server',
    (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    'pulse-nats-',
  );
  return { ...server, url: `nats://127.0.0.1:${server.port}` };
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  requireBinary('redis-server', 'redis-server');
  const persistence = options.persistence ?? 'aof';
  const dir = await mkdtemp(join(tmpdir(), 'pulse-redis-'));
  // No snapshots either way: the AOF alone is what is under test, and `none` must keep nothing.
  const argsFor = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    persistence === 'aof' ? 'yes' : 'no',
    '--dir',
    dir,
  ];
  let current: ChildProcess;
  let port: number;
  try {
    ({ child: current, port } = await launchOnFreePort('redis-server', argsFor));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return current.pid;
    },
    stop: () =>
      (stopped ??= (async () => {
        await signalAndWait(current, 'SIGTERM');
        await rm(dir, { recursive: true, force: true });
      })()),
    kill: () => signalAndWait(current, 'SIGKILL'),
    async restart() {
      if (stopped) throw new Error('redis-server was stopped; start a new one');
      await signalAndWait(current, 'SIGTERM');
      current = (await launch('redis-server', argsFor(port), port)).child;
    },
  };
  return server;
}
