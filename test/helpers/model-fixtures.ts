import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from './run-script.js';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { Engine } from '../../engine/engine.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import { itemIndexFactory, shopperIndexFactory } from '../../engine/recommend/adapters/index-factories.js';
import { RedisInteractionStats } from '../../engine/recommend/adapters/redis-interaction-stats.js';
import { RedisUserStateStore } from '../../engine/shoppers/adapters/redis-user-state-store.js';
import { RedisPartitionLeases } from '../../engine/stream/adapters/redis-partition-leases.js';
import { captureLogger } from './capture-logger.js';
import { startNats, startRedis, type TestServer } from './servers.js';

/**
 * Shared setup of the model tests against a running engine and the train CLI
 * (test/integration/model-gate.test.ts, model-swap.test.ts, train-cli.test.ts).
 */

export interface ModelEngine {
  nats: TestServer;
  redisServer: TestServer;
  redis: Redis;
  transport: NatsTransport;
  engine: Engine;
  users: RedisUserStateStore;
  /** The engine's DATA_DIR, a new temporary directory (models are announced from DATA_DIR/models). */
  dataDir: string;
  /** Closes the engine, the transport and the client, stops both servers and removes dataDir. */
  close(): Promise<void>;
}

export interface ModelEngineOptions {
  /** The NATS connection's name. */
  name: string;
  /** Starts the Redis key prefix (a random part follows) and the temporary directory's name. */
  tag: string;
  dimension: number;
  /** Put on the CATALOG stream before the engine starts; the engine is ready once it holds them all. */
  catalog: readonly Item[];
  /** Receives the engine's and the transport's log lines (JSON). */
  lines: string[];
}

/**
 * A real nats-server and redis-server, and an engine in process on the NATS and Redis adapters
 * (VECTOR_DIM `dimension`, no demo catalog, no affinity boost), started on `catalog`. On a failure
 * part of the way, what was started is closed again before the error is thrown.
 */
export async function startModelEngine(options: ModelEngineOptions): Promise<ModelEngine> {
  const started: Partial<ModelEngine> = {};
  const close = async () => {
    await started.engine?.close();
    await started.transport?.close();
    started.redis?.disconnect();
    await Promise.all([started.nats?.stop(), started.redisServer?.stop()]);
    if (started.dataDir) await rm(started.dataDir, { recursive: true, force: true });
  };
  try {
    [started.nats, started.redisServer] = await Promise.all([startNats(), startRedis()]);
    started.dataDir = await mkdtemp(join(tmpdir(), `pulse-${options.tag}-`));
    const { logger } = captureLogger('info', options.lines);
    started.transport = await NatsTransport.connect({ url: started.nats.url, partitions: 4, ackWaitMs: 5000, logger, name: options.name });
    started.redis = new Redis(started.redisServer.url);
    const keyPrefix = `${options.tag}-${randomBytes(4).toString('hex')}:`;
    started.users = new RedisUserStateStore(started.redis, { recentLimit: 50, dedupeTtlSeconds: 3600, keyPrefix });
    const config = loadEngineConfig({
      PULSE_PARTITIONS: '4',
      VECTOR_DIM: String(options.dimension),
      DATA_DIR: started.dataDir,
      DEMO_CATALOG: 'false',
      PARTITION_LEASE_MS: '3000',
      ACK_WAIT_MS: '5000',
      AFFINITY_BOOST: '0',
    });
    const transport = started.transport;
    const engine = new Engine({
      config,
      logger,
      eventSource: transport.eventLog,
      catalogLog: transport.catalogLog,
      notifier: transport.notifier,
      rpcServer: transport.rpcServer,
      users: started.users,
      // The indexes of a running engine (HNSW with the configured parameters).
      createIndex: itemIndexFactory(config),
      createShopperIndex: shopperIndexFactory(config),
      stats: new RedisInteractionStats(started.redis, { popularityHalfLifeSeconds: 7 * 24 * 3600, dedupeTtlSeconds: 3600, keyPrefix }),
      leases: new RedisPartitionLeases(started.redis, { keyPrefix }),
      modelAnnouncements: transport.modelAnnouncements,
      metrics: new EngineMetrics(),
    });
    started.engine = engine;
    // The trainer reads the catalog from the CATALOG stream, as in production.
    await transport.catalogLog.put([...options.catalog]);
    await engine.start();
    await vi.waitFor(() => expect(engine.status().catalogItems, 'catalog').toBe(options.catalog.length), { timeout: 10_000, interval: 20 });
    return { ...(started as Omit<ModelEngine, 'close'>), close };
  } catch (err) {
    await close();
    throw err;
  }
}

export type TrainCliRun = Awaited<ReturnType<typeof runScript>>;

/** Runs `npm run train` as npm runs it (tsx), with its own environment; resolves on exit. */
export function runTrainCli(args: string[], env: Record<string, string>): Promise<TrainCliRun> {
  return runScript('train.ts', args, { LOG_LEVEL: 'info', ...env });
}
