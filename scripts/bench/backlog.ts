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
import { backlogEvents, backlogItems, takeBatch, type BacklogEvent } from './backlog-data.js';
import { cpuCosts, cpuWindow, readProcTicks, sampleTicks, type MeasuredProcess } from './cpu.js';
import { judgeBacklog, type BacklogFigures, type BacklogReport, type StageFigures } from './backlog-report.js';
import { deleteEngineConsumers, reportProblems, startEngine, startGateway, type EngineProcess, type PhaseContext } from './phase.js';
import { engineCounters, type EngineCounters } from './prom-text.js';
import { waitUntil, type ChildHandle } from './processes.js';
import { LogWatch } from './replay-watch.js';

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

/** One request may take this long before the bench gives up on it and counts a client timeout (ms). */
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 5;
const POLL_MS = 500;
/** Polls of JetStream while following a replay (ms). */
const LOG_POLL_MS = 500;
/** The events' timestamps span this far into the past (ms): history, not live. */
const HISTORY_SPAN_MS = 30 * 24 * 3600 * 1000;

/** What went wrong with the bench's own requests (each retried, up to MAX_ATTEMPTS). */
export class RequestTally {
  http504 = 0;
  clientTimeouts = 0;
  /** Events the gateway rejected as `unavailable`: the log did not confirm them in time. */
  appendTimeouts = 0;
  other: Record<string, number> = {};

  count(code: string): void {
    this.other[code] = (this.other[code] ?? 0) + 1;
  }
}

/** POSTs JSON as the admin; undefined when the attempt should be retried (504, 503, timeout, network), counted in `tally`. */
async function postJson(url: string, token: string, body: unknown, tally: RequestTally): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') tally.clientTimeouts++;
    else tally.count(`network: ${(err as Error).message}`);
    return undefined;
  }
  const text = await response.text();
  if (response.status === 504) tally.http504++;
  else if (response.status === 503) tally.count('http 503');
  if (response.status === 504 || response.status === 503) return undefined;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Runs `attempt` until it returns true, MAX_ATTEMPTS times at most; false when it never did. */
async function withRetries(attempt: () => Promise<boolean>): Promise<boolean> {
  for (let i = 1; i <= MAX_ATTEMPTS; i++) {
    if (await attempt()) return true;
    if (i < MAX_ATTEMPTS) await new Promise((r) => setTimeout(r, 250 * i));
  }
  return false;
}

/** Upserts items `prefix0 .. prefix{count-1}` in batches, one request at a time; returns the seconds it took. */
async function upsertCatalog(
  url: string,
  token: string,
  prefix: string,
  count: number,
  batchSize: number,
  tally: RequestTally,
  progress?: Progress,
): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < count; from += batchSize) {
    const items = backlogItems(prefix, from, Math.min(count, from + batchSize));
    const upserted = await withRetries(async () => {
      const answer = (await postJson(`${url}/v1/items/batch`, token, { items }, tally)) as
        | { upserted?: number; rejected?: unknown[] }
        | undefined;
      if (answer === undefined) return false;
      if (answer.rejected && answer.rejected.length > 0)
        throw new Error(`the gateway rejected catalog items: ${JSON.stringify(answer.rejected[0])}`);
      return true;
    });
    // The engine may still store a batch it did not confirm in time: the catalog goes on.
    if (!upserted) tally.count(`catalog batch unconfirmed after ${MAX_ATTEMPTS} attempts`);
    progress?.tick(items.length);
  }
  progress?.done();
  return (performance.now() - started) / 1000;
}

/** Posts one batch of events; events rejected as `unavailable` are posted again (same ids: safe). */
async function postEvents(url: string, token: string, batch: BacklogEvent[], tally: RequestTally): Promise<void> {
  let pending = batch;
  const posted = await withRetries(async () => {
    const answer = (await postJson(`${url}/v1/events`, token, { events: pending }, tally)) as
      | { rejected?: Array<{ index: number; error: { code: string } }> }
      | undefined;
    if (answer === undefined) return false;
    const again: BacklogEvent[] = [];
    for (const { index, error } of answer.rejected ?? []) {
      if (error.code !== 'unavailable') throw new Error(`the gateway rejected event ${pending[index]?.id}: ${JSON.stringify(error)}`);
      tally.appendTimeouts++;
      again.push(pending[index]!);
    }
    pending = again;
    return again.length === 0;
  });
  // Events never stored would stall the wait for the engine: no point measuring on.
  if (!posted) throw new Error(`posting events ${batch[0]?.id}..: ${pending.length} still not stored after ${MAX_ATTEMPTS} attempts`);
}

async function readCounters(metricsUrl: string): Promise<EngineCounters | undefined> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? engineCounters(await response.text()) : undefined;
  } catch {
    return undefined; // a busy engine may answer late: the next poll tries again
  }
}

/** Polls /metrics until `target` events are applied or the count stalls; the last counters and when the target was met. */
async function waitApplied(
  metricsUrl: string,
  target: number,
  label: string,
  stallMs: number,
): Promise<{ counters: EngineCounters | undefined; doneAt: number | undefined }> {
  let counters = await readCounters(metricsUrl);
  // Dead-lettered events are done too (never to be applied): the verdict reports them.
  let seen = counters ? counters.applied + counters.deadLettered : 0;
  const progress = new Progress({ label, total: Math.max(0, target - seen), unit: 'events' });
  let movedAt = performance.now();
  for (;;) {
    if (counters && counters.applied + counters.deadLettered >= target) {
      progress.done();
      return { counters, doneAt: performance.now() };
    }
    if (performance.now() - movedAt > stallMs) {
      progress.done();
      return { counters, doneAt: undefined };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    counters = (await readCounters(metricsUrl)) ?? counters;
    const done = counters ? counters.applied + counters.deadLettered : 0;
    if (done > seen) {
      progress.tick(done - seen);
      seen = done;
      movedAt = performance.now();
    }
  }
}

function stage(
  events: number,
  seconds: number | undefined,
  counters: EngineCounters | undefined,
  costs: StageFigures['costs'],
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
  const window = cpuWindow(measured, ticks, sampleTicks(measured, readTicks), performance.now() - started, ctx.clockTicks);
  const extraDone = await extra;
  // Lease losses and rpc calls until the second catalog is in too.
  const counters = (await readCounters(engine.metricsUrl!)) ?? applied.counters;
  const seconds = applied.doneAt === undefined ? undefined : (applied.doneAt - started) / 1000;
  return {
    ...stage(options.events, seconds, counters, cpuCosts(window, options.events)),
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
  const figures = stage(events, seconds, counters, cpuCosts(window, events));
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

interface Followed {
  /** When the first acked messages were seen, and how many there were then. */
  firstAt: number | undefined;
  firstAcked: number;
  /** When every message of the log was acked; undefined when it stalled. */
  doneAt: number | undefined;
  acked: number;
}

/** Polls the log until every message is acked or nothing moved for `stallMs`; `onFirst` runs when the first acks are seen. */
async function followLog(watch: LogWatch, stallMs: number, onFirst: () => void): Promise<Followed> {
  const progress = new Progress({ label: 'replay apply', total: watch.total, unit: 'events' });
  const followed: Followed = { firstAt: undefined, firstAcked: 0, doneAt: undefined, acked: 0 };
  let movedAt = performance.now();
  for (;;) {
    const acked = await watch.acked().catch(() => followed.acked);
    const now = performance.now();
    if (acked > followed.acked) {
      if (followed.firstAt === undefined) {
        followed.firstAt = now;
        followed.firstAcked = acked;
        onFirst();
      }
      progress.tick(acked - followed.acked);
      followed.acked = acked;
      movedAt = now;
    }
    if (followed.acked >= watch.total) {
      followed.doneAt = now;
      break;
    }
    if (now - movedAt > stallMs) break;
    await new Promise((r) => setTimeout(r, LOG_POLL_MS));
  }
  progress.done();
  return followed;
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
