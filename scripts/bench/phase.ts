/**
 * One phase of the latency benchmark: an engine (the echo engine for the floor, the real one for
 * pulse) and a gateway as child processes, and measured load steps against them, each run by its
 * own load-generator process. Also the event-log chores between phases and steps (purge, consumer
 * deletion, waiting until the consumers have caught up). Every wait is bounded.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { EVENTS_STREAM } from '../../engine/contracts/subjects.js';
import { partitionConsumerName } from '../../engine/stream/mod.js';
import { freePort } from '../lib/local-servers.js';
import { withUnmeasured, type MeasuredProcess } from './cpu.js';
import { type Cleanup, answers, spawnChild, waitUntil, type ChildHandle } from './processes.js';
import { parseLoadResult, type LoadResult } from './report.js';

export type Phase = 'floor' | 'pulse';

const ENGINE_READY_TIMEOUT_MS = 120_000;
const GATEWAY_READY_TIMEOUT_MS = 30_000;
/** Budget of the load generator's setup (tokens, catalog, connects) before its load starts (ms). */
const LOAD_SETUP_BUDGET_MS = 180_000;

export interface PhaseContext {
  cleanup: Cleanup;
  /** Environment of every server child (NATS_URL, REDIS_URL, AUTH_SECRET, PULSE_PARTITIONS, ...). */
  env: Record<string, string>;
  natsUrl: string;
  partitions: number;
  adminToken: string;
  /** nats-server and redis-server, with their pids when the bench started them. */
  servers: MeasuredProcess[];
  clockTicks: number;
  pushTimeoutMs: number;
  seed: number;
  say: (line: string) => void;
}

/** Warning and error lines (pino levels 40+, or plain text mentioning an error) of a child's output. */
export function logProblems(output: string, keep = 3): { count: number; last: string[] } {
  const lines = output.split('\n').filter((line) => /"level":(4|5|6)0\b/.test(line) || /^\S*(Error|error)\b/.test(line));
  return { count: lines.length, last: lines.slice(-keep).map((line) => line.slice(0, 300)) };
}

/** Says how many warnings and errors a (stopped) child logged, with the last few. */
export function reportProblems(ctx: Pick<PhaseContext, 'say'>, label: string, child: ChildHandle): void {
  const problems = logProblems(child.output());
  if (problems.count > 0)
    ctx.say(
      `${label}: the ${child.name} logged ${problems.count} warning(s)/error(s) (of its last 20 kB of output); last ones:\n  ${problems.last.join('\n  ')}`,
    );
}

/** Consumers of EVENTS that no longer exist or never did are fine to "delete". */
function missing(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

async function withJsm<T>(natsUrl: string, work: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: natsUrl, timeout: 5000, name: 'pulse-bench' });
  try {
    return await work(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** Deletes the engine's durable partition consumers, so the next engine reads EVENTS from its start. */
export async function deleteEngineConsumers(natsUrl: string, partitions: number): Promise<void> {
  await withJsm(natsUrl, async (jsm) => {
    for (let p = 0; p < partitions; p++) {
      await jsm.consumers.delete(EVENTS_STREAM, partitionConsumerName(p)).catch((err: unknown) => {
        if (!missing(err)) throw err;
      });
    }
  });
}

/** Empties EVENTS and deletes the engine's durable consumers, so a phase starts on a clean log. */
export async function resetEventLog(natsUrl: string, partitions: number): Promise<void> {
  const hasStream = await withJsm(natsUrl, async (jsm) => {
    try {
      await jsm.streams.purge(EVENTS_STREAM);
      return true;
    } catch (err) {
      if (!missing(err)) throw err;
      return false; // no stream yet: the gateway creates it
    }
  });
  if (hasStream) await deleteEngineConsumers(natsUrl, partitions);
}

/** Events not yet delivered plus delivered but unacked, over the engine's partition consumers. */
export async function eventsOutstanding(natsUrl: string, partitions: number): Promise<number> {
  return withJsm(natsUrl, async (jsm) => {
    let outstanding = 0;
    for (let p = 0; p < partitions; p++) {
      try {
        const info = await jsm.consumers.info(EVENTS_STREAM, partitionConsumerName(p));
        outstanding += info.num_pending + info.num_ack_pending;
      } catch (err) {
        if (!missing(err)) throw err;
      }
    }
    return outstanding;
  });
}

/** Waits (bounded) until the consumers have caught up; returns what is still outstanding (0 = idle). */
export async function waitForIdle(ctx: PhaseContext, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outstanding = await eventsOutstanding(ctx.natsUrl, ctx.partitions);
    if (outstanding === 0 || Date.now() >= deadline) return outstanding;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface EngineProcess {
  child: ChildHandle;
  /** The engine's /metrics URL (the real engine only). */
  metricsUrl?: string;
}

/**
 * Starts the echo engine (`floor`) or a real engine (`pulse`). The real engine gets a free
 * ENGINE_PORT; with `waitForCatalog` it must be ready (catalog in the index, partitions taken),
 * otherwise answering /healthz is enough (its HTTP server opens once it has started).
 */
export async function startEngine(
  phase: Phase,
  ctx: PhaseContext,
  options: { env?: Record<string, string>; waitForCatalog?: boolean; name?: string; onSpawn?: (child: ChildHandle) => void } = {},
): Promise<EngineProcess> {
  const name = options.name ?? (phase === 'floor' ? 'echo engine' : 'engine');
  if (phase === 'floor') {
    const echo = spawnChild({ name, script: 'scripts/bench/echo-engine.ts', env: ctx.env });
    ctx.cleanup.add(name, () => echo.stop());
    await waitUntil('the echo engine', () => echo.stdout().includes('"ready":true'), { timeoutMs: ENGINE_READY_TIMEOUT_MS, child: echo });
    return { child: echo };
  }
  const enginePort = await freePort();
  const engine = spawnChild({
    name,
    script: 'scripts/engine.ts',
    env: { ...ctx.env, DEMO_CATALOG: 'true', ...options.env, ENGINE_PORT: String(enginePort) },
  });
  ctx.cleanup.add(name, () => engine.stop());
  options.onSpawn?.(engine);
  const base = `http://127.0.0.1:${enginePort}`;
  const path = options.waitForCatalog === false ? '/healthz' : '/readyz';
  await waitUntil(`the ${name} ${path}`, () => answers(`${base}${path}`), {
    timeoutMs: ENGINE_READY_TIMEOUT_MS,
    intervalMs: 250,
    child: engine,
  });
  return { child: engine, metricsUrl: `${base}/metrics` };
}

/**
 * The shared per-user and per-IP rates the bench's private gateway runs with: the load comes from
 * one address (1,000+ sockets, thousands of events/s) with a token per socket sending more than a
 * shopper would, so those limits would measure themselves. Socket caps stay (one token per
 * socket). A variable set in the bench's own environment wins.
 */
export const BENCH_LIMITS_ENV: Readonly<Record<string, string>> = {
  USER_CALLS_PER_SECOND: '1000000',
  USER_CALL_BURST: '1000000',
  IP_REQUESTS_PER_SECOND: '1000000',
  IP_REQUEST_BURST: '1000000',
};

/** Starts a gateway on a free port and waits for its /readyz; `socketRate` overrides its per-socket limit. */
export async function startGateway(ctx: PhaseContext, socketRate?: number): Promise<{ child: ChildHandle; url: string }> {
  const port = await freePort();
  const raised = Object.entries(BENCH_LIMITS_ENV).filter(([name]) => !process.env[name]);
  const env: Record<string, string> = { ...Object.fromEntries(raised), ...ctx.env, PORT: String(port), HOST: '127.0.0.1' };
  if (raised.length > 0)
    ctx.say(
      `gateway limits raised for the bench's private gateway (one load address, a token per socket): ${raised.map(([name, value]) => `${name}=${value}`).join(', ')}`,
    );
  if (socketRate !== undefined) env.SOCKET_EVENTS_PER_SECOND = String(socketRate);
  const gateway = spawnChild({ name: 'gateway', script: 'scripts/gateway.ts', env });
  ctx.cleanup.add('gateway', () => gateway.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('the gateway /readyz', () => answers(`${url}/readyz`), { timeoutMs: GATEWAY_READY_TIMEOUT_MS, child: gateway });
  return { child: gateway, url };
}

const ItemPageSchema = z.object({ total: z.number().int().nonnegative() });

/** A phase's engine and gateway, up and serving the catalog. */
export class RunningPhase {
  private constructor(
    readonly phase: Phase,
    private readonly ctx: PhaseContext,
    readonly engine: ChildHandle,
    readonly gateway: ChildHandle,
    readonly url: string,
    /** The real engine's /metrics (none for the echo engine). */
    readonly engineMetricsUrl: string | undefined,
  ) {}

  static async start(phase: Phase, ctx: PhaseContext, socketRate?: number): Promise<RunningPhase> {
    ctx.say(`${phase}: starting ${phase === 'floor' ? 'the echo engine' : 'the engine'} and a gateway`);
    const { child: engine, metricsUrl } = await startEngine(phase, ctx);
    const gateway = await startGateway(ctx, socketRate);
    // The catalog answers through the gateway (rpc to the engine): the load needs item ids.
    await waitUntil(
      'a non-empty catalog at GET /v1/items',
      async () => {
        try {
          const res = await fetch(`${gateway.url}/v1/items?limit=1`, {
            headers: { authorization: `Bearer ${ctx.adminToken}` },
            signal: AbortSignal.timeout(3000),
          });
          return res.ok && ItemPageSchema.parse(await res.json()).total > 0;
        } catch {
          return false;
        }
      },
      { timeoutMs: GATEWAY_READY_TIMEOUT_MS, intervalMs: 250, child: engine },
    );
    return new RunningPhase(phase, ctx, engine, gateway.child, gateway.url, metricsUrl);
  }

  /** Every process whose CPU a step measures (the echo engine counts as `engine`). */
  processes(): MeasuredProcess[] {
    const pid = (child: ChildHandle) => (child.child.pid !== undefined ? { pid: child.child.pid } : { note: 'not measured: no pid' });
    return [{ name: 'gateway', ...pid(this.gateway) }, { name: 'engine', ...pid(this.engine) }, ...this.ctx.servers];
  }

  /** One measured step: a load generator at `rate` over `sockets` sockets; its result, CPU samples included. */
  async step(step: { rate: number; sockets: number; warmupS: number; durationS: number; label: string }): Promise<LoadResult> {
    const { ctx } = this;
    const processes = this.processes();
    const measurable = processes.filter((p) => p.pid !== undefined);
    const load = spawnChild({
      name: 'load generator',
      script: 'scripts/bench/load.ts',
      args: [
        '--url',
        this.url,
        '--sockets',
        String(step.sockets),
        '--rate',
        String(step.rate),
        '--duration',
        String(step.durationS),
        '--warmup',
        String(step.warmupS),
        '--push-timeout',
        String(ctx.pushTimeoutMs),
        '--seed',
        String(ctx.seed),
        '--label',
        step.label,
        '--clock-ticks',
        String(ctx.clockTicks),
        ...(measurable.length > 0 ? ['--cpu', measurable.map((p) => `${p.name}=${p.pid}`).join(',')] : []),
        ...(this.engineMetricsUrl ? ['--engine-metrics', this.engineMetricsUrl] : []),
      ],
      env: { AUTH_SECRET: ctx.env.AUTH_SECRET!, LOG_LEVEL: 'warn' },
      stderr: 'inherit',
    });
    ctx.cleanup.add('load generator', () => load.stop(2000));
    const budgetMs = LOAD_SETUP_BUDGET_MS + (step.warmupS + step.durationS) * 1000 + 30_000;
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
      throw new Error(`the ${step.label} load generator did not finish within ${Math.round(budgetMs / 1000)} s`);
    }
    if (code !== 0) throw new Error(`the ${step.label} load generator failed (exit ${code}):\n${load.output().slice(-4000)}`);
    const result = parseLoadResult(load.stdout());
    return result.cpu ? { ...result, cpu: withUnmeasured(result.cpu, processes) } : result;
  }

  /** Stops the gateway and the engine and reports what they logged at warn level or above. */
  async stop(): Promise<void> {
    this.ctx.say(`${this.phase}: stopping the gateway and the engine`);
    await Promise.all([this.gateway.stop(), this.engine.stop()]);
    for (const child of [this.engine, this.gateway]) reportProblems(this.ctx, this.phase, child);
  }
}
