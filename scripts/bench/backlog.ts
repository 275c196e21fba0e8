/**
 * The backlog benchmark: how fast a fresh engine works through a bulk of history.
 *
 * 1. An engine (no demo catalog) and a gateway on the bench's private servers; a catalog of
 *    `items` upserted through `POST /v1/items/batch`.
 * 2. (a) ingest: the events (backlog-data.ts) posted as an admin through `POST /v1/events`,
 *    `concurrency` requests in flight, while a second catalog of `extraItems` is upserted; timed
 *    from the first post until the engine's /metrics counts every event applied.
 * 3. (b) replay: that engine stopped, its durable consumers deleted and Redis flushed; a new
 *    engine applies the whole log again, timed from the first acks JetStream shows on its partition
 *    consumers until every message is acked (replay-watch.ts); its /metrics then confirms them applied.
 * Lease losses and timed-out requests (HTTP 504, client timeouts, appends the log did not
 * confirm) must all be 0 to pass. Every wait is bounded; a stalled engine ends the wait.
 */
import { Redis } from 'ioredis';
import { Progress } from '../lib/progress.js';
import { backlogEvents, takeBatch } from './backlog-data.js';
import { cpuCosts, cpuWindow, readProcTicks, sampleTicks, type MeasuredProcess } from './cpu.js';
import { judgeBacklog, type BacklogFigures, type BacklogReport, type StageFigures } from './backlog-report.js';
import { postEvents, RequestTally, upsertCatalog } from './backlog-requests.js';
import { followLog, readCounters, waitApplied, waitShopperIndex, type Followed } from './backlog-waits.js';
import { deleteEngineConsumers, reportProblems, startEngine, startGateway, type EngineProcess, type PhaseContext } from './phase.js';
import type { EngineCounters } from './prom-text.js';
import { waitUntil, type ChildHandle } from './processes.js';
import { LogWatch } from './replay-watch.js';

export { RequestTally } from './backlog-requests.js';

export interface BacklogOptions {
  events: number;
  items: number;
  users: number;
  /** Items of the second catalog, upserted while (a) runs. */
  extraItems: number;
  seed: number;
  /** Events per `POST /v1/events` (at most the gateway's MAX_EVENTS_PER_BATCH). */
  batchSize: number;
  /** Items per `POST /v1/items/batch` (at most MAX_ITEMS_PER_BATCH). */
  itemBatchSize: number;
  /** Requests in flight while posting events. */
  concurrency: number;
  /** A wait for the engine ends when its applied count has not moved for this long (s). */
  stallS: number;
}

/** The events' timestamps span this far into the past (ms): history, not live. */
const HISTORY_SPAN_MS = 30 * 24 * 3600 * 1000;

/** How long a stage waits for the shopper index after its last event (ms): SHOPPER_INDEX_BACKLOG_INTERVAL_MS and a margin. */
const SHOPPER_INDEX_WAIT_MS = 180_000;

function stage(
  events: number,
  seconds: number | undefined,
  counters: EngineCounters | undefined,
  costs: StageFigures['costs'],
  shopperIndexSeconds: number | undefined,
): StageFigures {
  return {
    events,
    seconds: seconds ?? null,
    eventsPerSec: seconds !== undefined && seconds > 0 ? events / seconds : null,
    complete: seconds !== undefined,
    applied: counters?.applied ?? 0,
    duplicates: counters?.duplicates ?? 0,
    retried: counters?.retried ?? 0,
    leaseLosses: counters?.leaseLosses ?? 0,
    deadLettered: counters?.deadLettered ?? 0,
    shopperIndexWaiting: counters?.shopperIndexWaiting ?? 0,
    shopperIndexSeconds: shopperIndexSeconds ?? null,
    errors: counters?.errors ?? {},
    rpc: counters?.rpc ?? {},
    costs,
  };
}

interface Servers {
  gateway: { child: ChildHandle; url: string };
  /** The processes a stage measures, with the engine of that stage. */
  processes: (engine: ChildHandle) => MeasuredProcess[];
}

const readTicks = (pid: number) => readProcTicks(pid === process.pid ? 'self' : pid);

/** (a): posts the events while the second catalog is upserted; timed until the engine counts them all applied. */
async function ingest(
  options: BacklogOptions,
  ctx: PhaseContext,
  servers: Servers,
  engine: EngineProcess,
  tally: RequestTally,
): Promise<BacklogFigures['ingest'] & { extraCatalog: BacklogFigures['extraCatalog'] }> {
  const { url } = servers.gateway;
  const measured = servers.processes(engine.child);
  ctx.say(
    `backlog (a): posting ${options.events} events of ${options.users} users, ${options.batchSize} a request, ${options.concurrency} in flight; upserting ${options.extraItems} more items meanwhile`,
  );
  const events = backlogEvents({
    events: options.events,
    items: options.items,
    users: options.users,
    seed: options.seed,
    startTs: Date.now() - HISTORY_SPAN_MS - 60_000,
    spanMs: HISTORY_SPAN_MS,
  });
  const ticks = sampleTicks(measured, readTicks);
  const started = performance.now();
  const extra = upsertCatalog(url, ctx.adminToken, 'bx', options.extraItems, options.itemBatchSize, tally).then((seconds) => ({
    seconds,
    doneAt: performance.now(),
  }));
  extra.catch(() => undefined);
  const progress = new Progress({ label: 'backlog post', total: options.events, unit: 'events' });
  const worker = async () => {
    for (;;) {
      const batch = takeBatch(events, options.batchSize);
      if (batch.length === 0) return;
      await postEvents(url, ctx.adminToken, batch, tally);
      progress.tick(batch.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  progress.done();
  const postSeconds = (performance.now() - started) / 1000;
  const applied = await waitApplied(engine.metricsUrl!, options.events, 'backlog apply (remaining)', options.stallS * 1000);
  // The shoppers the import left waiting join the shopper index now: their cost is the import's.
  const caughtUp = await waitShopperIndex(engine.metricsUrl!, SHOPPER_INDEX_WAIT_MS);
  const window = cpuWindow(measured, ticks, sampleTicks(measured, readTicks), performance.now() - started, ctx.clockTicks);
  const extraDone = await extra;
  // Lease losses and rpc calls until the second catalog is in too.
  const counters = (await readCounters(engine.metricsUrl!)) ?? applied.counters;
  const seconds = applied.doneAt === undefined ? undefined : (applied.doneAt - started) / 1000;
  return {
    ...stage(options.events, seconds, counters, cpuCosts(window, options.events), caughtUp),
    postSeconds,
    extraCatalog: {
      items: options.extraItems,
      seconds: extraDone.seconds,
      finishedBeforeApplied: applied.doneAt !== undefined && extraDone.doneAt <= applied.doneAt,
    },
  };
}

/** (b): a new engine on flushed Redis and fresh consumers applies the whole log again. */
async function replay(
  options: BacklogOptions,
  ctx: PhaseContext,
  servers: Servers,
): Promise<BacklogFigures['replay'] & { loggedMessages: number }> {
  await deleteEngineConsumers(ctx.natsUrl, ctx.partitions);
  await flushRedis(ctx.env.REDIS_URL!);
  const watch = await LogWatch.open(ctx.natsUrl, ctx.partitions);
  let child: ChildHandle | undefined;
  let measured: MeasuredProcess[] = [];
  let ticks = new Map<string, number | undefined>();
  const spawnedAt = performance.now();
  let followed: Followed;
  let engine: EngineProcess;
  try {
    // Followed from JetStream's side: the engine applies events while it is still starting.
    const following = followLog(watch, options.stallS * 1000, () => {
      if (!child) return;
      measured = servers.processes(child);
      ticks = sampleTicks(measured, readTicks);
    });
    following.catch(() => undefined);
    engine = await startEngine('pulse', ctx, {
      env: { DEMO_CATALOG: 'false' },
      waitForCatalog: false,
      name: 'replay engine',
      onSpawn: (spawned) => (child = spawned),
    });
    followed = await following;
  } finally {
    await watch.close();
  }
  const caughtUp = await waitShopperIndex(engine.metricsUrl!, SHOPPER_INDEX_WAIT_MS);
  const window = cpuWindow(
    measured,
    ticks,
    sampleTicks(measured, readTicks),
    followed.firstAt === undefined ? 0 : performance.now() - followed.firstAt,
    ctx.clockTicks,
  );
  const counters = await readCounters(engine.metricsUrl!);
  await engine.child.stop();
  reportProblems(ctx, 'backlog (b)', engine.child);
  const events = watch.total - followed.firstAcked;
  const seconds = followed.doneAt !== undefined && followed.firstAt !== undefined ? (followed.doneAt - followed.firstAt) / 1000 : undefined;
  const figures = stage(events, seconds, counters, cpuCosts(window, events), caughtUp);
  return {
    ...figures,
    // Every message acked, and every event applied (none is a duplicate on flushed state).
    complete: figures.complete && (counters ? counters.applied + counters.deadLettered : 0) >= options.events,
    startSeconds: followed.firstAt === undefined ? null : (followed.firstAt - spawnedAt) / 1000,
    appliedBeforeTiming: followed.firstAcked,
    loggedMessages: watch.total,
  };
}

export async function runBacklog(options: BacklogOptions, ctx: PhaseContext): Promise<BacklogReport> {
  const tally = new RequestTally();
  ctx.say('backlog: starting an engine (no demo catalog) and a gateway');
  const engine = await startEngine('pulse', ctx, { env: { DEMO_CATALOG: 'false' }, waitForCatalog: false });
  const gateway = await startGateway(ctx);
  const servers: Servers = {
    gateway,
    processes: (engineChild) => [
      { name: 'gateway', ...(gateway.child.child.pid !== undefined ? { pid: gateway.child.child.pid } : {}) },
      { name: 'engine', ...(engineChild.child.pid !== undefined ? { pid: engineChild.child.pid } : {}) },
      ...ctx.servers,
      { name: 'load generator', pid: process.pid },
    ],
  };

  const catalogProgress = new Progress({ label: 'backlog catalog', total: options.items, unit: 'items' });
  const catalogSeconds = await upsertCatalog(
    gateway.url,
    ctx.adminToken,
    'bi',
    options.items,
    options.itemBatchSize,
    tally,
    catalogProgress,
  );
  const readyUrl = engine.metricsUrl!.replace(/\/metrics$/, '/readyz');
  await waitUntil(
    'the engine /readyz after the catalog upsert',
    async () => (await fetch(readyUrl, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.ok === true,
    {
      timeoutMs: 120_000,
      intervalMs: 250,
      child: engine.child,
    },
  );

  const { extraCatalog, ...ingested } = await ingest(options, ctx, servers, engine, tally);
  ctx.say('backlog (b): stopping the engine, deleting its consumers, flushing Redis, starting a new engine');
  await engine.child.stop();
  reportProblems(ctx, 'backlog (a)', engine.child);
  const { loggedMessages, ...replayed } = await replay(options, ctx, servers);
  await gateway.child.stop();
  reportProblems(ctx, 'backlog', gateway.child);

  return judgeBacklog({
    mode: 'backlog',
    data: { ...options, loggedMessages },
    catalog: { items: options.items, seconds: catalogSeconds },
    ingest: ingested,
    extraCatalog,
    replay: replayed,
    requests: { http504: tally.http504, clientTimeouts: tally.clientTimeouts, appendTimeouts: tally.appendTimeouts, other: tally.other },
  });
}

async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
