/**
 * `npm run bench -- [--sockets 1000] [--rate 500] [--duration 20] [--warmup 3] [--json] [--out DIR]
 *                   [--only floor|pulse] [--push-timeout 5000] [--seed 1]`
 *
 * Event-to-push latency and throughput of Pulse, next to a transport floor measured in the same run:
 *
 * 1. Uses NATS_URL / REDIS_URL when set (they must be dedicated to the bench: EVENTS is purged and
 *    the engine consumers deleted between phases); otherwise starts a private nats-server and
 *    redis-server on free loopback ports, so the machine's default servers are never touched.
 * 2. Phase "floor": a gateway process and the echo engine (scripts/bench/echo-engine.ts), which
 *    answers every event with a fixed list at once: the same round trip without the engine's work.
 * 3. Phase "pulse": a fresh event stream, the real engine process (demo catalog) and a gateway.
 * 4. Each phase runs the load generator (scripts/bench/load.ts) as its own process.
 * 5. Prints the conditions and a floor-vs-pulse table (or one JSON object with --json), and writes
 *    bench-latency.svg and bench-result.json under --out (default DATA_DIR/bench).
 * Every child process and server is stopped on exit, on errors and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join, resolve } from 'node:path';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { sharedConfigSpec } from '../engine/config.js';
import { loadConfig } from '../engine/contracts/env.js';
import { EVENTS_STREAM } from '../engine/contracts/subjects.js';
import { generateDemoCatalog } from '../engine/demo/demo-catalog.js';
import { TokenService } from '../gateway/auth.js';
import { partitionConsumerName } from '../engine/adapters/nats-event-log.js';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from './lib/args.js';
import { freePort, startNats, startRedis } from './lib/local-servers.js';
import {
  addedLatency,
  benchPlot,
  cpuModelOf,
  formatComparison,
  formatConditions,
  parseLoadResult,
  type BenchConditions,
  type LoadResult,
  type MachineInfo,
  type PhaseResults,
} from './bench/report.js';
import { Cleanup, answers, spawnChild, waitUntil, type ChildHandle } from './bench/processes.js';

export const USAGE = `usage: npm run bench -- [options]
  --sockets N        concurrent Socket.IO connections (default 1000)
  --rate N           target events per second over all sockets (default 500: a shopper acting every 2 s on each socket)
  --duration S       measured seconds per phase (default 20)
  --warmup S         seconds of load before measuring (default 3)
  --push-timeout MS  an event without its push within this counts as "no push" (default 5000)
  --only PHASE       run only "floor" or "pulse"
  --seed N           seed of the load (event mix, items, timing jitter) (default 1)
  --json             print one JSON object instead of the table
  --out DIR          where bench-latency.svg and bench-result.json go (default DATA_DIR/bench)
NATS_URL / REDIS_URL: use these servers (dedicated to the bench) instead of private ones.`;

export type Phase = 'floor' | 'pulse';

export interface BenchOptions {
  sockets: number;
  ratePerSecond: number;
  durationS: number;
  warmupS: number;
  pushTimeoutMs: number;
  phases: Phase[];
  seed: number;
  json: boolean;
  outDir: string;
}

/** The gateway's default per-socket limit (SOCKET_EVENTS_PER_SECOND). */
const GATEWAY_SOCKET_RATE = 50;
const ENGINE_READY_TIMEOUT_MS = 120_000;
const GATEWAY_READY_TIMEOUT_MS = 30_000;
/** Budget of the load generator's setup (tokens, catalog, connects) before its load starts (ms). */
const LOAD_SETUP_BUDGET_MS = 180_000;

export function parseBenchArgs(argv: string[], dataDir: string): BenchOptions {
  const values = parseCommandLine(argv, {
    sockets: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'push-timeout': { type: 'string' },
    only: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.only !== undefined && values.only !== 'floor' && values.only !== 'pulse') throw new UsageError(`--only must be "floor" or "pulse", got "${values.only}"`);
  return {
    sockets: intOption('sockets', values.sockets, 1000, 1, 100_000),
    ratePerSecond: intOption('rate', values.rate, 500, 1, 1_000_000),
    durationS: intOption('duration', values.duration, 20, 1, 3600),
    warmupS: intOption('warmup', values.warmup, 3, 0, 600),
    pushTimeoutMs: intOption('push-timeout', values['push-timeout'], 5000, 100, 60_000),
    phases: values.only ? [values.only] : ['floor', 'pulse'],
    seed: intOption('seed', values.seed, 1, 0, 2 ** 31 - 1),
    json: values.json ?? false,
    outDir: resolve(values.out ?? join(dataDir, 'bench')),
  };
}

/**
 * The gateway's per-socket limit for this load: the default, unless the jittered per-socket rate
 * (gaps down to half the mean) could exceed it; an explicit SOCKET_EVENTS_PER_SECOND always wins.
 */
export function socketRateFor(ratePerSecond: number, sockets: number, explicit: string | undefined): number | undefined {
  if (explicit) return undefined;
  const peak = (2 * ratePerSecond) / sockets;
  return peak > GATEWAY_SOCKET_RATE ? Math.ceil(peak * 1.25) : undefined;
}

/** Warning and error lines (pino levels 40+, or plain text mentioning an error) of a child's output. */
export function logProblems(output: string, keep = 3): { count: number; last: string[] } {
  const lines = output.split('\n').filter((line) => /"level":(4|5|6)0\b/.test(line) || /^\S*(Error|error)\b/.test(line));
  return { count: lines.length, last: lines.slice(-keep).map((line) => line.slice(0, 300)) };
}

async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = cpuModelOf(cpuinfo);
  return {
    cpu: model === 'unknown' ? (cpus()[0]?.model ?? 'unknown') : model,
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    loadAverage: loadavg()[0] ?? 0,
  };
}

/** Empties EVENTS and deletes the engine's durable consumers, so a phase starts on a clean log. */
async function resetEventLog(natsUrl: string, partitions: number): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 5000, name: 'pulse-bench' });
  try {
    const jsm = await jetstreamManager(nc);
    const missing = (err: unknown) => err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound);
    try {
      await jsm.streams.purge(EVENTS_STREAM);
    } catch (err) {
      if (!missing(err)) throw err;
      return; // no stream yet: the gateway creates it
    }
    for (let p = 0; p < partitions; p++) {
      await jsm.consumers.delete(EVENTS_STREAM, partitionConsumerName(p)).catch((err: unknown) => {
        if (!missing(err)) throw err;
      });
    }
  } finally {
    await nc.close();
  }
}

const ItemPageSchema = z.object({ total: z.number().int().nonnegative() });

interface PhaseContext {
  options: BenchOptions;
  cleanup: Cleanup;
  env: Record<string, string>;
  adminToken: string;
  socketRate: number | undefined;
  say: (line: string) => void;
}

async function startEngine(phase: Phase, ctx: PhaseContext): Promise<ChildHandle> {
  if (phase === 'floor') {
    const echo = spawnChild({ name: 'echo engine', script: 'scripts/bench/echo-engine.ts', env: ctx.env });
    ctx.cleanup.add('echo engine', () => echo.stop());
    await waitUntil('the echo engine', () => echo.stdout().includes('"ready":true'), { timeoutMs: ENGINE_READY_TIMEOUT_MS, child: echo });
    return echo;
  }
  const enginePort = await freePort();
  const engine = spawnChild({ name: 'engine', script: 'scripts/engine.ts', env: { ...ctx.env, ENGINE_PORT: String(enginePort), DEMO_CATALOG: 'true' } });
  ctx.cleanup.add('engine', () => engine.stop());
  // /readyz: NATS and Redis connected, catalog in the index, partitions taken.
  await waitUntil('the engine /readyz', () => answers(`http://127.0.0.1:${enginePort}/readyz`), { timeoutMs: ENGINE_READY_TIMEOUT_MS, intervalMs: 250, child: engine });
  return engine;
}

async function runPhase(phase: Phase, ctx: PhaseContext): Promise<LoadResult> {
  const { options, say } = ctx;
  say(`${phase}: starting ${phase === 'floor' ? 'the echo engine' : 'the engine'} and a gateway`);
  const engine = await startEngine(phase, ctx);
  const port = await freePort();
  const gatewayEnv: Record<string, string> = { ...ctx.env, PORT: String(port), HOST: '127.0.0.1' };
  if (ctx.socketRate !== undefined) gatewayEnv.SOCKET_EVENTS_PER_SECOND = String(ctx.socketRate);
  const gateway = spawnChild({ name: 'gateway', script: 'scripts/gateway.ts', env: gatewayEnv });
  ctx.cleanup.add('gateway', () => gateway.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('the gateway /readyz', () => answers(`${url}/readyz`), { timeoutMs: GATEWAY_READY_TIMEOUT_MS, child: gateway });
  // The catalog answers through the gateway (rpc to the engine): the load needs item ids.
  await waitUntil(
    'a non-empty catalog at GET /v1/items',
    async () => {
      try {
        const res = await fetch(`${url}/v1/items?limit=1`, { headers: { authorization: `Bearer ${ctx.adminToken}` }, signal: AbortSignal.timeout(3000) });
        return res.ok && ItemPageSchema.parse(await res.json()).total > 0;
      } catch {
        return false;
      }
    },
    { timeoutMs: GATEWAY_READY_TIMEOUT_MS, intervalMs: 250, child: engine },
  );

  say(`${phase}: ${options.sockets} sockets, ${options.ratePerSecond} events/s, ${options.warmupS} s warmup + ${options.durationS} s`);
  const load = spawnChild({
    name: 'load generator',
    script: 'scripts/bench/load.ts',
    args: [
      '--url', url,
      '--sockets', String(options.sockets),
      '--rate', String(options.ratePerSecond),
      '--duration', String(options.durationS),
      '--warmup', String(options.warmupS),
      '--push-timeout', String(options.pushTimeoutMs),
      '--seed', String(options.seed),
      '--label', phase,
    ],
    env: { AUTH_SECRET: ctx.env.AUTH_SECRET!, LOG_LEVEL: 'warn' },
    stderr: 'inherit',
  });
  ctx.cleanup.add('load generator', () => load.stop(2000));
  const budgetMs = LOAD_SETUP_BUDGET_MS + (options.warmupS + options.durationS) * 1000 + 30_000;
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    load.exited,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budgetMs);
    }),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') {
    await load.stop(2000);
    throw new Error(`the ${phase} load generator did not finish within ${Math.round(budgetMs / 1000)} s`);
  }
  if (code !== 0) throw new Error(`the ${phase} load generator failed (exit ${code}):\n${load.output().slice(-4000)}`);
  const result = parseLoadResult(load.stdout());

  say(`${phase}: stopping the gateway and the engine`);
  await Promise.all([gateway.stop(), engine.stop()]);
  for (const child of [engine, gateway]) {
    const problems = logProblems(child.output());
    if (problems.count > 0) say(`${phase}: the ${child.name} logged ${problems.count} warning(s)/error(s) (of its last 20 kB of output); last ones:\n  ${problems.last.join('\n  ')}`);
  }
  return result;
}

async function main(): Promise<number> {
  const shared = loadConfig(sharedConfigSpec);
  const options = parseBenchArgs(process.argv.slice(2), shared.dataDir);
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const cleanup = new Cleanup(say);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: stopping every child process and server (again to force)`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let natsUrl = shared.natsUrl;
    let redisUrl = shared.redisUrl;
    const serversNote: string[] = [];
    if (shared.explicit.has('NATS_URL')) {
      serversNote.push(`NATS ${natsUrl} (given)`);
    } else {
      const nats = await startNats();
      cleanup.add('nats-server', () => nats.stop());
      natsUrl = nats.url;
      serversNote.push(`private nats-server ${natsUrl}`);
    }
    if (shared.explicit.has('REDIS_URL')) {
      serversNote.push(`Redis ${redisUrl} (given)`);
    } else {
      const redis = await startRedis();
      cleanup.add('redis-server', () => redis.stop());
      redisUrl = redis.url;
      serversNote.push(`private redis-server ${redisUrl}`);
    }

    const secret = randomBytes(32).toString('base64url');
    const adminToken = await new TokenService(secret).sign({ sub: 'bench-admin', role: 'admin', tier: 'enterprise' }, 24 * 3600);
    const socketRate = socketRateFor(options.ratePerSecond, options.sockets, process.env.SOCKET_EVENTS_PER_SECOND);
    const notes: string[] = [];
    if (socketRate !== undefined) notes.push(`gateway SOCKET_EVENTS_PER_SECOND raised to ${socketRate} for this per-socket rate`);
    const conditions: BenchConditions = {
      machine: await machineInfo(),
      sockets: options.sockets,
      ratePerSecond: options.ratePerSecond,
      durationS: options.durationS,
      warmupS: options.warmupS,
      catalogItems: generateDemoCatalog().length,
      partitions: shared.partitions,
      pushTimeoutMs: options.pushTimeoutMs,
      servers: serversNote.join(', '),
      notes,
    };
    if (!options.json) process.stdout.write(`${formatConditions(conditions)}\n\n`);
    else say(formatConditions(conditions).replaceAll('\n', '\nbench: '));

    const env: Record<string, string> = {
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      AUTH_SECRET: secret,
      PULSE_PARTITIONS: String(shared.partitions),
      DATA_DIR: shared.dataDir,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    const ctx: PhaseContext = { options, cleanup, env, adminToken, socketRate, say };
    const results: PhaseResults = {};
    for (const phase of options.phases) {
      await resetEventLog(natsUrl, shared.partitions);
      results[phase] = await runPhase(phase, ctx);
    }

    await mkdir(options.outDir, { recursive: true });
    const svgPath = join(options.outDir, 'bench-latency.svg');
    const jsonPath = join(options.outDir, 'bench-result.json');
    const subtitle = `${conditions.machine.cores} cores, ${options.sockets} sockets, ${options.ratePerSecond} events/s target, ${options.durationS} s measured`;
    const report = { conditions, ...results, added: addedLatency(results), files: { svg: svgPath, json: jsonPath } };
    await writeFile(svgPath, benchPlot(results, subtitle));
    await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      process.stdout.write(`${formatComparison(results)}\n\n`);
      if (results.floor && results.pulse) {
        process.stdout.write(`"engine adds" = pulse - floor at the same percentile (the floor is the same round trip without the engine's work).\n`);
      }
      process.stdout.write(`plot: ${svgPath}\nfull result: ${jsonPath}\n`);
    }
    return 0;
  } finally {
    await cleanup.run();
  }
}

if (isMain(import.meta.url)) runMain(main, USAGE);
