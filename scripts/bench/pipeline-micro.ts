/**
 * `npx tsx scripts/bench/pipeline-micro.ts [--events 100000] [--users 10000] [--items 50000]
 *     [--batch 256] [--partitions 8] [--concurrency 4] [--cache 2000] [--seed 1] [--dump FILE]`
 *
 * The defaults scale the backlog benchmark down tenfold (1,000,000 events of 100,000 users, a
 * cache of 20,000 states): ~10 events per user over ~2.5 sessions, so most loads miss the cache and
 * read a stored state, as there.
 *
 * CPU cost of the batched event path without ranking (history, replay), in process: the engine's
 * own EventProcessor (as engine.ts wires it, minus the recommender, triggers and shopper index)
 * over RedisUserStateStore, RedisInteractionStats and RedisShopAnalytics against a private
 * redis-server it starts on a free port (temp dir, no persistence). The backlog benchmark's events
 * (backlog-data.ts: Zipf items, sessions of users spread evenly, all history) are split into
 * partitions by user as the event log splits them; `--concurrency` partitions run side by side,
 * each one batch at a time (as the consumer does).
 *
 * Prints progress, then events/s (wall), the engine's CPU ms per event (process.cpuUsage, GC
 * included) and redis-server's (from /proc/<pid>/stat). `--dump FILE` writes every Redis key and
 * value after the run (sorted; batch tags replaced), so two builds can be compared with `cmp`:
 * use `--concurrency 1` for it (the order of float additions then does not vary).
 */
import { writeFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import pino from 'pino';
import { ExactVectorIndex } from '../../engine/recommend/mod.js';
import { RedisInteractionStats } from '../../engine/recommend/mod.js';
import { RedisShopAnalytics } from '../../engine/analytics/mod.js';
import { RedisUserStateStore } from '../../engine/shoppers/mod.js';
import { loadEngineConfig, segmentThresholds } from '../../engine/config.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { DeliveredEvent } from '../../engine/stream/mod.js';
import { CatalogService } from '../../engine/catalog/mod.js';
import { EventProcessor } from '../../engine/stream/mod.js';
import { AttributeVectorSource, ModelRegistry, shopperIndexFactory } from '../../engine/recommend/mod.js';
import { shopperIndexFrom } from '../../engine/engine.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from '../lib/args.js';
import { startRedis } from '../lib/local-servers.js';
import { backlogEvents, backlogItem } from './backlog-data.js';
import { clockTicksPerSecond, readProcTicks } from './cpu.js';

const USAGE = `usage: npx tsx scripts/bench/pipeline-micro.ts [options]
  --events N       events applied (default 100000)
  --users N        shoppers (default 10000)
  --items N        catalog size (default 50000)
  --batch N        events per partition batch (default 256, CONSUME_BATCH)
  --partitions N   partitions (default 8)
  --concurrency N  partitions processed side by side (default 4)
  --cache N        user states cached (default 2000; the engine's USER_STATE_CACHE is 20000)
  --seed N         random seed (default 1)
  --dump FILE      write every Redis key and value after the run (use --concurrency 1)
  --commandstats   print redis-server's time per command (INFO commandstats) after the run
  --shoppers       also feed the "shoppers like you" graph (HNSW, SHOPPER_INDEX_* as the engine
                   has them; the run waits for the shoppers its history left waiting): prints its
                   upserts per event`;

const START_TS = Date.UTC(2025, 0, 1);
const SPAN_MS = 60 * 24 * 3600 * 1000;
const PREFIX = 'bi';

interface Options {
  events: number;
  users: number;
  items: number;
  batch: number;
  partitions: number;
  concurrency: number;
  cache: number;
  seed: number;
  dump: string | undefined;
  commandstats: boolean;
  shoppers: boolean;
}

function parse(argv: string[]): Options {
  const v = parseCommandLine(argv, {
    events: { type: 'string' },
    users: { type: 'string' },
    items: { type: 'string' },
    batch: { type: 'string' },
    partitions: { type: 'string' },
    concurrency: { type: 'string' },
    cache: { type: 'string' },
    seed: { type: 'string' },
    dump: { type: 'string' },
    commandstats: { type: 'boolean' },
    shoppers: { type: 'boolean' },
  });
  const partitions = intOption('partitions', v.partitions, 8, 1, 1024);
  const concurrency = intOption('concurrency', v.concurrency, 4, 1, 1024);
  if (concurrency > partitions) throw new UsageError('--concurrency must not exceed --partitions');
  return {
    events: intOption('events', v.events, 100_000, 1, 10_000_000),
    users: intOption('users', v.users, 10_000, 1, 10_000_000),
    items: intOption('items', v.items, 50_000, 10, 1_000_000),
    batch: intOption('batch', v.batch, 256, 1, 10_000),
    partitions,
    concurrency,
    cache: intOption('cache', v.cache, 2_000, 0, 10_000_000),
    seed: intOption('seed', v.seed, 1, 0, 2 ** 31),
    dump: v.dump,
    commandstats: v.commandstats === true,
    shoppers: v.shoppers === true,
  };
}

/** The events as the log delivers them, one array of batches per partition. */
function partitionBatches(options: Options): DeliveredEvent[][][] {
  const perPartition: LoggedEvent[][] = Array.from({ length: options.partitions }, () => []);
  for (const event of backlogEvents({
    events: options.events,
    items: options.items,
    users: options.users,
    seed: options.seed,
    startTs: START_TS,
    spanMs: SPAN_MS,
    itemPrefix: PREFIX,
  })) {
    const logged = { ...event, receivedAt: event.ts } as LoggedEvent;
    perPartition[partitionOf(event.userId, options.partitions)]!.push(logged);
  }
  return perPartition.map((events, partition) => {
    const batches: DeliveredEvent[][] = [];
    for (let start = 0; start < events.length; start += options.batch) {
      batches.push(events.slice(start, start + options.batch).map((event, i) => delivered(event, partition, start + i + 1)));
    }
    return batches;
  });
}

function delivered(event: LoggedEvent, partition: number, seq: number): DeliveredEvent {
  return {
    event,
    partition,
    seq,
    redelivered: false,
    deliveryCount: 1,
    ack: async () => undefined,
    nak: () => {
      throw new Error(`event ${event.id} handed back`);
    },
    deadLetter: async (failure) => {
      throw new Error(`event ${event.id} dead-lettered: ${failure.message}`);
    },
  };
}

/** Seconds until no shopper waits to join the shopper graph (pulse_engine_shopper_index_waiting). */
async function shopperGraphCaughtUp(metrics: EngineMetrics): Promise<number> {
  const started = performance.now();
  const waiting = async () => (await metrics.shopperIndexWaiting.get()).values[0]?.value ?? 0;
  while ((await waiting()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return (performance.now() - started) / 1000;
}

/** Upserts into the shopper graph (`--shoppers`). */
let shopperUpserts = 0;

/** The engine's processor as engine.ts builds it, without ranking (no recommender, triggers; shoppers with `--shoppers`). */
function createProcessor(redis: Redis, options: Options, metrics: EngineMetrics): EventProcessor {
  const config = loadEngineConfig({});
  const encoder = new ContentEncoder({ dimension: config.vectorDim });
  const catalog: CatalogService = new CatalogService({
    indexer: { upsert: (item) => models.upsert(item), remove: (itemId) => models.remove(itemId) },
  });
  const logger = pino({ level: 'silent' });
  const models: ModelRegistry = new ModelRegistry({
    initial: {
      source: new AttributeVectorSource(encoder),
      index: new ExactVectorIndex({ dimension: config.vectorDim, initialCapacity: options.items }),
    },
    catalog,
    createIndex: () => {
      throw new Error('one model');
    },
    loadSource: () => Promise.reject(new Error('one model')),
    modelsDir: '.',
    logger,
  });
  for (let i = 0; i < options.items; i++) catalog.apply({ type: 'upsert', item: backlogItem(PREFIX, i) });
  const { recentLimit, dedupeTtlSeconds, popularityHalfLifeSeconds } = config;
  const shopperIndex = shopperIndexFactory(config);
  const shoppers = options.shoppers
    ? shopperIndexFrom(config, models, (dimension) => {
        const index = shopperIndex(dimension);
        const upsert = index.upsert.bind(index);
        index.upsert = (id, vector) => {
          shopperUpserts++;
          upsert(id, vector);
        };
        return index;
      })
    : undefined;
  return new EventProcessor({
    users: new RedisUserStateStore(redis, { recentLimit, dedupeTtlSeconds }),
    stats: new RedisInteractionStats(redis, { popularityHalfLifeSeconds, dedupeTtlSeconds }),
    models,
    notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
    metrics,
    logger,
    itemAttributes: (itemId) => catalog.get(itemId),
    textMatches: (query) => catalog.textMatches(query, 20),
    analytics: { store: new RedisShopAnalytics(redis, { dedupeTtlSeconds }), thresholds: segmentThresholds(config) },
    ...(shoppers ? { shoppers } : {}),
    options: {
      defaultK: config.defaultK,
      tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
      sessionGapSeconds: config.sessionGapSeconds,
      coVisitWindow: 5,
      recentLimit,
      affinityHalfLifeSeconds: config.affinityHalfLifeSeconds,
      boughtAfterWindowSeconds: config.boughtAfterWindowSeconds,
      pushMaxAgeMs: 60_000,
      retryDelayMs: 1000,
      maxDeliveries: config.maxDeliveries,
      userCacheSize: options.cache,
      shopperIndexIntervalMs: config.shopperIndexIntervalMs,
      // The events are history: their shoppers wait until the run is over (main waits for them).
      shopperIndexBacklogIntervalMs: config.shopperIndexBacklogIntervalMs,
    },
  });
}

/** Runs every partition's batches, `concurrency` partitions side by side, each one batch at a time. */
async function runAll(processor: EventProcessor, partitions: DeliveredEvent[][][], concurrency: number, total: number): Promise<void> {
  let done = 0;
  let reported = 0;
  const started = performance.now();
  await pLimit(concurrency).map(partitions, async (batches) => {
    for (const batch of batches) {
      await processor.handleBatch(batch);
      done += batch.length;
      if (done - reported >= total / 10) {
        reported = done;
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(`  ${done} / ${total} events, ${Math.round(done / seconds)}/s\n`);
      }
    }
  });
}

/** redis-server's time per command over the run (scripts' inner calls included), most first, in us per event. */
function commandStats(info: string, events: number): string {
  const rows: Array<[string, number, number]> = [];
  for (const match of info.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) rows.push([match[1]!, Number(match[2]), Number(match[3])]);
  rows.sort((a, b) => b[2] - a[2]);
  const lines = rows
    .slice(0, 20)
    .map(
      ([name, calls, usec]) =>
        `  ${name.padEnd(24)} ${(calls / events).toFixed(2).padStart(7)} calls/event ${(usec / events).toFixed(2).padStart(7)} us/event`,
    );
  return `redis-server commands (INFO commandstats; EVALSHA includes its inner calls):\n${lines.join('\n')}\n`;
}

/** Every key and value, sorted; batch tags (random) replaced by `b-*`. */
async function dumpRedis(redis: Redis, file: string): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [nextCursor, found] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = nextCursor;
    keys.push(...found);
  } while (cursor !== '0');
  const tag = /b-[A-Za-z0-9_-]{12}/g;
  const lines: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string')
      value = key.endsWith(':vec') ? ((await redis.getBuffer(key)) ?? Buffer.alloc(0)).toString('base64') : await redis.get(key);
    else if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort();
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    lines.push(`${key.replace(tag, 'b-*')} ${type} ${JSON.stringify(value).replace(tag, 'b-*')}`);
  }
  lines.sort();
  await writeFile(file, `${lines.join('\n')}\n`);
  process.stderr.write(`dumped ${lines.length} keys to ${file}\n`);
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
  try {
    process.stderr.write(`catalog of ${options.items}, ${options.events} events of ${options.users} users...\n`);
    const metrics = new EngineMetrics();
    const processor = createProcessor(redis, options, metrics);
    const partitions = partitionBatches(options);
    const ticksPerSecond = clockTicksPerSecond();
    const redisStart = readProcTicks(server.pid!);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    await runAll(processor, partitions, options.concurrency, options.events);
    const seconds = (performance.now() - started) / 1000;
    // The shoppers the history left waiting join the graph (2 s after it stops): their cost is the run's.
    const caughtUp = await shopperGraphCaughtUp(metrics);
    const cpu = process.cpuUsage(cpuStart);
    const redisEnd = readProcTicks(server.pid!);
    const engineMs = (cpu.user + cpu.system) / 1000;
    const redisMs = redisStart !== undefined && redisEnd !== undefined ? ((redisEnd - redisStart) * 1000) / ticksPerSecond : NaN;
    const perEvent = (ms: number) => (ms / options.events).toFixed(4);
    process.stdout.write(
      `${options.events} events in ${seconds.toFixed(1)} s: ${Math.round(options.events / seconds)} events/s; ` +
        `engine ${perEvent(engineMs)} ms CPU/event (${Math.round((engineMs / 1000 / seconds) * 100)}% of a core), ` +
        `redis-server ${perEvent(redisMs)} ms CPU/event; used memory ${(await redis.info('memory')).match(/used_memory_human:(\S+)/)?.[1] ?? '?'}\n`,
    );
    if (options.shoppers)
      process.stdout.write(
        `shopper graph: ${shopperUpserts} upserts (${(shopperUpserts / options.events).toFixed(3)} per event), caught up ${caughtUp.toFixed(1)} s after the last event (in the engine's CPU)\n`,
      );
    if (options.commandstats) process.stdout.write(commandStats(await redis.info('commandstats'), options.events));
    if (options.dump) await dumpRedis(redis, options.dump);
  } finally {
    redis.disconnect();
    await server.stop();
  }
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
