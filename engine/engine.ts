import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { segmentThresholds, shopSignalCaches, type EngineConfig } from './config.js';
import { ContentEncoder } from '../models/content-encoder.js';
import { latestModelDir } from '../models/artifact.js';
import { createCampaignServices, type CampaignServices } from './campaigns/campaign-services.js';
import type { EngineDeps, EngineStatus } from './engine-deps.js';
import { registerEngineHandlers } from './engine-handlers.js';
import { EngineMetrics } from './metrics.js';
import type { Unsubscribe } from './platform/notifier.js';
import { SEARCH_MATCHES } from './catalog/logic/search-relevance.js';
import { CatalogService } from './catalog/catalog-service.js';
import { EventProcessor } from './stream/event-processor.js';
import {
  ATTRIBUTE_MODEL_VERSION,
  AttributeVectorSource,
  loadLearnedSource,
  ModelRegistry,
  type ModelLoadResult,
} from './recommend/model-registry.js';
import { PartitionManager, partitionRanges } from './stream/partition-manager.js';
import type { PasswordPool } from './members/adapters/password-pool.js';
import type { VectorIndex } from './recommend/vector-index.js';
import { Recommender, listEvidenceFrom, recommenderOptionsFrom, sessionIndexFrom } from './recommend/recommender.js';
import { ShopperIndex, type ShopperIndexOptions } from './recommend/shopper-index.js';

export type { EngineDeps, EngineStatus } from './engine-deps.js';

/** "Shoppers like you" as an engine keeps it: its own small graph of shopper vectors; undefined when SHOPPER_INDEX_LIMIT is 0. */
export function shopperIndexFrom(
  config: Pick<EngineConfig, 'shopperIndexLimit' | 'shopperIndexKeepCosine'>,
  models: ShopperIndexOptions['models'],
  createIndex: (dimension: number) => VectorIndex,
): ShopperIndex | undefined {
  if (config.shopperIndexLimit <= 0) return undefined;
  return new ShopperIndex({ models, limit: config.shopperIndexLimit, keepCosine: config.shopperIndexKeepCosine, createIndex });
}

export { ATTRIBUTE_MODEL_VERSION };

/**
 * The engine role: follows the catalog into its index, consumes its share of event partitions,
 * and answers the gateway's queries. All state lives behind the ports.
 */
export class Engine {
  readonly id: string;
  readonly metrics: EngineMetrics;
  private readonly models: ModelRegistry;
  private readonly modelsDir: string;
  private readonly catalog: CatalogService;
  private readonly recommender: Recommender;
  private readonly partitions: PartitionManager;
  /** Campaigns, delivery and the `now` fan-out; absent without a campaign, member or coupon store. */
  private readonly campaigns: CampaignServices | undefined;
  private readonly lifetime = new AbortController();
  private stopAnnouncements: Unsubscribe | undefined;
  private passwords: PasswordPool | undefined;
  private ready = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: EngineDeps) {
    const { config } = deps;
    this.id = config.engineId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.metrics = deps.metrics ?? new EngineMetrics();
    const { createIndex } = deps;
    const encoder = new ContentEncoder({ dimension: config.vectorDim });
    this.modelsDir = deps.modelsDir ?? join(config.dataDir, 'models');
    // The catalog indexes through the registry, and the registry builds new indexes from the
    // catalog: the forwarding closures are only called once both exist.
    this.catalog = new CatalogService({
      indexer: { upsert: (item) => this.models.upsert(item), remove: (itemId) => this.models.remove(itemId) },
    });
    this.models = new ModelRegistry({
      initial: { source: new AttributeVectorSource(encoder), index: deps.index ?? createIndex(config.vectorDim, 1024) },
      catalog: this.catalog,
      createIndex,
      loadSource: deps.loadModel ?? ((dir) => loadLearnedSource(dir, encoder)),
      modelsDir: this.modelsDir,
      logger: deps.logger.child({ component: 'models' }),
      metrics: this.metrics.registry,
    });
    // Campaign services before the recommender and the processor, which use them; they reach the
    // partitions through a closure called only once the engine runs.
    this.campaigns = createCampaignServices(deps, this.catalog, this.metrics, () => this.partitions.owned);
    // Shopper vectors of this engine's partitions ("shoppers like you"): a small HNSW graph of its own.
    const shoppers = shopperIndexFrom(config, this.models, deps.createShopperIndex ?? ((dimension) => createIndex(dimension, 1024)));
    // Where shoppers' next items fall among their own recent items and their last lists (re-visits by evidence).
    const evidence = listEvidenceFrom(config);
    // The newest sessions of this engine's shoppers ("sessions like yours"), in memory, fed by the event path.
    const sessions = sessionIndexFrom(config);
    this.recommender = new Recommender({
      catalog: this.catalog,
      models: this.models,
      stats: deps.stats,
      ...(this.campaigns ? { boosts: this.campaigns.boosts } : {}),
      ...(shoppers ? { shoppers } : {}),
      ...(evidence ? { evidence } : {}),
      ...(sessions ? { sessions } : {}),
      // Shop-wide lists and "shoppers like you" reused for seconds (STATS_CACHE_MS, NEIGHBOUR_CACHE_MS).
      options: { ...recommenderOptionsFrom(config), ...shopSignalCaches(config) },
    });
    const processor = new EventProcessor({
      users: deps.users,
      stats: deps.stats,
      models: this.models,
      recommender: this.recommender,
      notifier: deps.notifier,
      metrics: this.metrics,
      logger: deps.logger.child({ component: 'events' }),
      itemAttributes: (itemId) => this.catalog.get(itemId),
      textMatches: (query) => this.catalog.textMatches(query, SEARCH_MATCHES),
      ...(this.campaigns ? { triggers: this.campaigns.triggers } : {}),
      ...(shoppers ? { shoppers } : {}),
      ...(evidence ? { evidence } : {}),
      ...(sessions ? { sessions } : {}),
      ...(deps.analytics ? { analytics: { store: deps.analytics, thresholds: segmentThresholds(config) } } : {}),
      ...(deps.presence ? { presence: deps.presence } : {}),
      ...(deps.coalesceWrites ? { coalesceWrites: deps.coalesceWrites } : {}),
      ...(deps.members
        ? {
            members: {
              store: deps.members,
              thresholds: { vip: config.tierVipPoints, enterprise: config.tierEnterprisePoints },
              rates: {
                regular: config.pointsPerCurrencyRegular,
                vip: config.pointsPerCurrencyVip,
                enterprise: config.pointsPerCurrencyEnterprise,
              },
            },
          }
        : {}),
      options: {
        defaultK: config.defaultK,
        tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
        sessionGapSeconds: config.sessionGapSeconds,
        coVisitWindow: 5,
        recentLimit: config.recentLimit,
        affinityHalfLifeSeconds: config.affinityHalfLifeSeconds,
        boughtAfterWindowSeconds: config.boughtAfterWindowSeconds,
        pushMaxAgeMs: 60_000,
        retryDelayMs: 1000,
        maxDeliveries: config.maxDeliveries,
        userCacheSize: config.userCacheSize,
        // A shopper joins the shopper graph at most once per SHOPPER_INDEX_INTERVAL_MS: an update costs an HNSW insert, and seconds of lag do not change who is alike.
        shopperIndexIntervalMs: config.shopperIndexIntervalMs,
        // History (an import, a replay) waits longer, first state included: one update per shopper per interval of the import.
        shopperIndexBacklogIntervalMs: config.shopperIndexBacklogIntervalMs,
      },
    });
    this.partitions = new PartitionManager({
      source: deps.eventSource,
      leases: deps.leases,
      handler: (batch) => processor.handleBatch(batch),
      drain: (partition) => processor.drain(partition),
      metrics: this.metrics,
      logger: deps.logger.child({ component: 'partitions' }),
      options: { ownerId: this.id, leaseMs: config.leaseMs, batchSize: config.batchSize },
    });
  }

  /**
   * Newest model loaded (if any), catalog replayed into its index, the seed catalog (the demo
   * catalog) put on an empty shop, queries served, partitions taken; then every announced model is
   * loaded and swapped in.
   */
  async start(): Promise<void> {
    const { logger, catalogLog } = this.deps;
    // From the start, so a gateway tells "starting" from "no engine"; a small reply per probe (cached ~1 s).
    this.deps.rpcServer.serve('engine.ping', async () => ({
      engineId: this.id,
      ready: this.ready,
      checks: this.deps.health?.() ?? {},
      model: this.models.servingInfo(),
    }));
    // Subscribe first: a model announced while this engine starts is loaded after the newest one.
    this.stopAnnouncements = this.deps.modelAnnouncements?.subscribe((announcement) => {
      logger.info({ version: announcement.version, dir: announcement.dir }, `model ${announcement.version} announced`);
      void this.models.load(announcement.dir);
    });
    await this.loadNewestModel();
    const started = performance.now();
    await catalogLog.follow((change) => {
      this.catalog.apply(change);
      this.metrics.catalogItems.set(this.catalog.size);
    }, this.lifetime.signal);
    logger.info({ items: this.catalog.size, ms: Math.round(performance.now() - started) }, 'catalog loaded into the index');
    if (this.catalog.size === 0 && this.deps.seedCatalog) {
      const items = this.deps.seedCatalog();
      await catalogLog.put(items);
      logger.info({ items: items.length }, 'empty catalog: loaded the seed catalog');
    }
    await registerEngineHandlers({
      deps: this.deps,
      catalog: this.catalog,
      recommender: this.recommender,
      models: this.models,
      metrics: this.metrics,
      campaigns: this.campaigns,
      // Password hashing in worker threads with a bounded, fair, deadline-aware queue (closed in close()).
      passwords: () => {
        if (!this.deps.createPasswordPool) throw new Error('the engine serves members: give it createPasswordPool');
        this.passwords ??= this.deps.createPasswordPool();
        return this.passwords;
      },
    });
    const campaigns = this.campaigns;
    await this.partitions.start();
    campaigns?.fanOut.start();
    campaigns?.cartTimers.start(this.lifetime.signal);
    this.ready = true;
    logger.info({ engineId: this.id, partitions: partitionRanges(this.partitions.owned) }, 'engine started');
  }

  status(): EngineStatus {
    const building = this.models.building;
    return {
      ready: this.ready,
      catalogItems: this.catalog.size,
      partitions: this.partitions.owned,
      modelVersion: this.models.current().source.version,
      model: this.models.servingInfo(),
      ...(building !== undefined ? { modelBuilding: building } : {}),
    };
  }

  /**
   * Loads the model in `dir` (inside the models directory) and swaps it in once its index is
   * built, as an announcement does. Never throws: a refused model is logged and reported.
   */
  loadModel(dir: string): Promise<ModelLoadResult> {
    return this.models.load(dir);
  }

  /** The newest complete model under the models directory, if any; a refused one leaves the attribute model serving. */
  private async loadNewestModel(): Promise<void> {
    let newest: string | undefined;
    try {
      newest = await latestModelDir(this.modelsDir);
    } catch (err) {
      this.deps.logger.warn({ err, dir: this.modelsDir }, 'cannot list the models directory; serving the attribute model');
      return;
    }
    if (newest === undefined) {
      this.deps.logger.info({ dir: this.modelsDir }, `no trained model yet: serving ${ATTRIBUTE_MODEL_VERSION}`);
      return;
    }
    await this.models.load(newest);
  }

  /** Stops the campaign timers and fan-outs, finishes in-flight batches, releases partitions, stops following the catalog. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ready = false;
      this.stopAnnouncements?.();
      this.models.close();
      this.campaigns?.registry.close();
      await this.campaigns?.fanOut.close().catch((err: unknown) => this.deps.logger.error({ err }, 'closing the campaign fan-out failed'));
      await this.campaigns?.cartTimers.close().catch((err: unknown) => this.deps.logger.error({ err }, 'closing the cart timers failed'));
      await this.partitions.close().catch((err: unknown) => this.deps.logger.error({ err }, 'closing partitions failed'));
      await this.passwords?.close().catch((err: unknown) => this.deps.logger.error({ err }, 'closing the password pool failed'));
      this.lifetime.abort();
    })();
    return this.closing;
  }
}
