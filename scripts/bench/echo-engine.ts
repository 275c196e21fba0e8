/**
 * The benchmark's floor: an "engine" that does no engine work. It consumes every partition of
 * EVENTS with the real NatsTransport consumer and, for each event, at once pushes a fixed,
 * precomputed list to `push.user.<id>` (with `cause` = the event id and `causeReceivedAt`), then
 * acks. The round trip socket -> gateway -> JetStream -> consumer -> core NATS -> gateway ->
 * socket is the same as with the real engine; Redis, fold-in, HNSW and ranking are left out,
 * so pulse latency minus this one is what the engine adds.
 *
 * It also answers `catalog.list` from the demo catalog, so the load generator finds the same
 * item ids as against the real engine.
 *
 * Environment: NATS_URL, PULSE_PARTITIONS, CONSUME_BATCH, LOG_LEVEL (as the engine reads them).
 * Prints `{"ready":true}` on stdout once its consumers are set up; SIGTERM/SIGINT stop it.
 */
import { pino } from 'pino';
import { NatsTransport } from '../../engine/platform/mod.js';
import { loadEngineConfig } from '../../engine/config.js';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { tierRank } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/mod.js';
import type { DeliveredEvent } from '../../engine/stream/mod.js';
import { isMain } from '../lib/args.js';

/** The list every push carries: the first `k` demo items, scores descending. */
export function fixedList(items: readonly Item[], k: number): RecommendationList {
  return {
    items: items.slice(0, k).map((item, rank) => ({ itemId: item.itemId, score: 1 - rank / (k + 1), reason: 'echo' })),
    generatedAt: 0,
    modelVersion: 'echo',
  };
}

async function main(): Promise<void> {
  const config = loadEngineConfig();
  const logger = pino({ name: 'pulse-bench-echo', level: config.logLevel });
  const catalog = generateDemoCatalog();
  const list = fixedList(catalog, config.defaultK);
  const transport = await NatsTransport.connect({
    url: config.natsUrl,
    partitions: config.partitions,
    ackWaitMs: config.ackWaitMs,
    logger,
    name: 'pulse-bench-echo',
  });
  const stop = new AbortController();

  // Gateways' /readyz asks an engine whether it runs: the echo engine does (it has no Redis to report).
  transport.rpcServer.serve('engine.ping', async () => ({ engineId: 'echo', ready: true, checks: {} }));
  transport.rpcServer.serve('catalog.list', async ({ principal, category, query, limit, offset }) => {
    const needle = query?.toLowerCase();
    const visible = catalog.filter(
      (item) =>
        tierRank(item.minTier ?? 'regular') <= tierRank(principal.tier) &&
        (category === undefined || item.category === category) &&
        (needle === undefined || item.title.toLowerCase().includes(needle)),
    );
    return {
      items: visible.slice(offset, offset + limit),
      total: visible.length,
      categories: [...new Set(catalog.map((item) => item.category))],
    };
  });

  const echo = async (batch: DeliveredEvent[]) => {
    for (const delivered of batch) {
      const { event } = delivered;
      transport.notifier.pushToUser(event.userId, {
        event: 'recommendations',
        data: { ...list, generatedAt: Date.now(), cause: event.id },
        causeReceivedAt: event.receivedAt,
      });
      await delivered.ack();
    }
  };
  const consumers = Array.from({ length: config.partitions }, (_, partition) =>
    transport.eventLog.consume(partition, echo, { batchSize: config.batchSize, signal: stop.signal }).catch((err: unknown) => {
      logger.error({ err, partition }, 'echo consumer failed');
      process.exitCode = 1;
    }),
  );
  await transport.flush();

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    stop.abort();
    void Promise.allSettled(consumers)
      .then(() => transport.close())
      .finally(() => process.exit(process.exitCode ?? 0));
    // Bounded: a stuck close does not keep the bench waiting.
    setTimeout(() => process.exit(1), 8000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdout.write(`${JSON.stringify({ ready: true, partitions: config.partitions })}\n`);
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`echo engine failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
