import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EngineConfig } from './config.js';
import { generateDemoCatalog } from './demo/demo-catalog.js';
import { HnswVectorIndex } from './adapters/hnsw-vector-index.js';
import { ContentEncoder } from '../models/content-encoder.js';
import { EngineMetrics } from './metrics.js';
import type { CatalogLog } from './ports/catalog-log.js';
import type { EventSource } from './ports/event-log.js';
import type { InteractionStats } from './ports/interaction-stats.js';
import type { Notifier } from './ports/notifier.js';
import type { PartitionLeases } from './ports/partition-leases.js';
import type { RpcServer } from './ports/rpc.js';
import type { UserStateStore } from './ports/user-state-store.js';
import type { VectorIndex } from './ports/vector-index.js';
import { CatalogService } from './services/catalog-service.js';
import { EventProcessor } from './services/event-processor.js';
import { PartitionManager } from './services/partition-manager.js';
import { registerQueryHandlers } from './services/query-handlers.js';
import { Recommender } from './services/recommender.js';

/** The engine's outside world, each a port; `main.ts` and the tests pick the adapters. */
export interface EngineDeps {
  config: EngineConfig;
  logger: Logger;
  eventSource: EventSource;
  catalogLog: CatalogLog;
  notifier: Notifier;
  rpcServer: RpcServer;
  users: UserStateStore;
  stats: InteractionStats;
  leases: PartitionLeases;
  /** Defaults to an HNSW index of `config.vectorDim`. */
  index?: VectorIndex;
  metrics?: EngineMetrics;
}

/** Until a learned model is loaded, item vectors come from attributes (the content encoder). */
export const ATTRIBUTE_MODEL_VERSION = 'attributes-v1';

export interface EngineStatus {
  ready: boolean;
  catalogItems: number;
  partitions: number[];
  modelVersion: string;
}

/**
 * The engine role: follows the catalog into its index, consumes its share of event partitions,
 * and answers the gateway's queries. All state lives behind the ports.
 */
export class Engine {
  readonly id: string;
  readonly metrics: EngineMetrics;
  private readonly index: VectorIndex;
  private readonly encoder: ContentEncoder;
  private readonly catalog: CatalogService;
  private readonly recommender: Recommender;
  private readonly partitions: PartitionManager;
  private readonly lifetime = new AbortController();
  private modelVersion = ATTRIBUTE_MODEL_VERSION;
  private ready = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: EngineDeps) {
    const { config } = deps;
    this.id = config.engineId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.metrics = deps.metrics ?? new EngineMetrics();
    this.index = deps.index ?? new HnswVectorIndex({ dimension: config.vectorDim, m: config.hnswM, efConstruction: config.hnswEfConstruction, ef: config.hnswEf });
    this.encoder = new ContentEncoder({ dimension: config.vectorDim });
    this.catalog = new CatalogService({ index: this.index, encoder: this.encoder });
    this.recommender = new Recommender({
      catalog: this.catalog,
      index: this.index,
      stats: deps.stats,
      encoder: this.encoder,
      options: { defaultK: config.defaultK, sessionGapSeconds: config.sessionGapSeconds, modelVersion: () => this.modelVersion },
    });
    const processor = new EventProcessor({
      users: deps.users,
      stats: deps.stats,
      vectors: { item: (id) => this.index.get(id), text: (query) => this.encoder.encodeText(query) },
      recommender: this.recommender,
      notifier: deps.notifier,
      metrics: this.metrics,
      logger: deps.logger.child({ component: 'events' }),
      options: {
        defaultK: config.defaultK,
        tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
        sessionGapSeconds: config.sessionGapSeconds,
        coVisitWindow: 5,
        recentLimit: config.recentLimit,
        pushMaxAgeMs: 60_000,
        retryDelayMs: 1000,
        maxConcurrentUsers: config.maxConcurrentUsers,
      },
    });
    this.partitions = new PartitionManager({
      source: deps.eventSource,
      leases: deps.leases,
      handler: (batch) => processor.handleBatch(batch),
      drain: () => processor.drain(),
      metrics: this.metrics,
      logger: deps.logger.child({ component: 'partitions' }),
      options: { ownerId: this.id, leaseMs: config.leaseMs, batchSize: config.batchSize },
    });
  }

  /** Catalog replayed into the index, demo catalog seeded if the shop is empty, queries served, partitions taken. */
  async start(): Promise<void> {
    const { logger, catalogLog, config } = this.deps;
    const started = performance.now();
    await catalogLog.follow((change) => {
      this.catalog.apply(change);
      this.metrics.catalogItems.set(this.catalog.size);
    }, this.lifetime.signal);
    logger.info({ items: this.catalog.size, ms: Math.round(performance.now() - started) }, 'catalog loaded into the index');
    if (this.catalog.size === 0 && config.demoCatalog) {
      const items = generateDemoCatalog();
      await catalogLog.put(items);
      logger.info({ items: items.length }, 'empty catalog: loaded the demo catalog');
    }
    registerQueryHandlers(this.deps.rpcServer, {
      users: this.deps.users,
      catalog: this.catalog,
      catalogLog,
      recommender: this.recommender,
      metrics: this.metrics,
    });
    await this.partitions.start();
    this.ready = true;
    logger.info({ engineId: this.id, partitions: this.partitions.owned }, 'engine started');
  }

  status(): EngineStatus {
    return { ready: this.ready, catalogItems: this.catalog.size, partitions: this.partitions.owned, modelVersion: this.modelVersion };
  }

  /** Finishes in-flight batches, releases partitions, stops following the catalog. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ready = false;
      await this.partitions.close().catch((err: unknown) => this.deps.logger.error({ err }, 'closing partitions failed'));
      this.lifetime.abort();
    })();
    return this.closing;
  }
}
