import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { rpcAdmission, segmentThresholds, shopSignalCaches, type EngineConfig } from './config.js';
import { PulseError } from './contracts/errors.js';
import type { ServingModelInfo } from './contracts/model-info.js';
import { generateDemoCatalog } from './demo/demo-catalog.js';
import { HnswVectorIndex } from './adapters/hnsw-vector-index.js';
import { ContentEncoder } from '../models/content-encoder.js';
import { latestModelDir } from '../models/artifact.js';
import { EngineMetrics } from './metrics.js';
import type { CatalogLog } from './ports/catalog-log.js';
import type { EventSource } from './ports/event-log.js';
import type { InteractionStats } from './ports/interaction-stats.js';
import type { ItemVectorSource } from './ports/item-vector-source.js';
import type { ModelAnnouncements } from './ports/model-announcements.js';
import type { Notifier, Unsubscribe } from './ports/notifier.js';
import type { PartitionLeases } from './ports/partition-leases.js';
import type { RpcServer } from './ports/rpc.js';
import type { MemberStore } from './ports/member-store.js';
import type { UserStateStore } from './ports/user-state-store.js';
import type { VectorIndex } from './ports/vector-index.js';
import type { PresenceView } from './ports/presence.js';
import { SEARCH_MATCHES } from './logic/search-relevance.js';
import { CatalogService } from './services/catalog-service.js';
import { EventProcessor } from './services/event-processor.js';
import {
  ATTRIBUTE_MODEL_VERSION,
  AttributeVectorSource,
  loadLearnedSource,
  ModelRegistry,
  type ModelLoadResult,
} from './services/model-registry.js';
import { PartitionManager } from './services/partition-manager.js';
import { registerMemberHandlers } from './services/member-handlers.js';
import { PasswordPool } from './adapters/password-pool.js';
import { registerMemberImportHandler } from './services/member-import-handlers.js';
import { registerOrderHandlers } from './services/order-handlers.js';
import { registerCouponHandlers } from './services/coupon-handlers.js';
import { registerHistoryHandlers } from './services/history-handlers.js';
import { parseRewardCatalogue } from './logic/coupons.js';
import type { CouponStore } from './ports/coupon-store.js';
import type { RpcHandler } from './ports/rpc.js';
import type { RpcMethod } from './contracts/messages.js';
import { registerQueryHandlers } from './services/query-handlers.js';
import type { CampaignStore } from './ports/campaign-store.js';
import type { CampaignChanges } from './ports/campaign-changes.js';
import { AudienceScanner } from './services/audience-scanner.js';
import { CampaignFanOut } from './services/campaign-fan-out.js';
import { registerCampaignHandlers } from './services/campaign-handlers.js';
import { CampaignRegistry } from './services/campaign-registry.js';
import { PromotionDelivery } from './services/promotion-delivery.js';
import { CampaignBoosts } from './services/campaign-boosts.js';
import { CampaignTriggers } from './services/campaign-triggers.js';
import { CartTimerPoller } from './services/cart-timer-poller.js';
import { Recommender, listEvidenceFrom, recommenderOptionsFrom, sessionIndexFrom } from './services/recommender.js';
import type { ShopAnalytics } from './ports/shop-analytics.js';
import { registerAnalyticsHandlers } from './services/analytics-handlers.js';
import { AnalyticsRecordingMemberStore } from './services/analytics-recording-member-store.js';
import { ShopperIndex, type ShopperIndexOptions } from './services/shopper-index.js';

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
  /** Index of the attribute model served at start. Defaults to an HNSW index of `config.vectorDim`. */
  index?: VectorIndex;
  /** Index for a newly loaded model of `dimension` with room for `capacity` items. Defaults to HNSW with the config's parameters. */
  createIndex?: (dimension: number, capacity: number) => VectorIndex;
  /** Where trainers announce new models; without it the engine only loads the newest model at start. */
  modelAnnouncements?: ModelAnnouncements;
  /** Directory of versioned models. Defaults to `DATA_DIR/models`. */
  modelsDir?: string;
  /** Reads a model directory. Defaults to the artifact reader and the learned vector source. */
  loadModel?: (dir: string) => Promise<ItemVectorSource>;
  metrics?: EngineMetrics;
  /** Member accounts; without it the `members.*` methods are not served (another engine may serve them). */
  members?: MemberStore;
  /** Coupons and rewards; without it the `coupons.*` and `rewards.*` methods are not served. */
  coupons?: CouponStore;
  /** Campaigns and promotion delivery; served (with triggers and the `now` fan-out) only together with `members` and `coupons`. */
  campaigns?: CampaignStore;
  /** Campaign changes between engines; without it each engine sees a change at its next periodic reload. */
  campaignChanges?: CampaignChanges;
  /** Shop-wide analytics (segments, counters); without it the `analytics.*` methods are not served. */
  analytics?: ShopAnalytics;
  /**
   * Which users have a socket open (gateways announce it). Lists are ranked and pushed after an
   * event only for present users; without it every live event's user counts as present.
   */
  presence?: PresenceView;
  /** Its connections' checks (Redis, persistence, NATS), answered to gateways' `engine.ping` for their /readyz. */
  health?: () => Record<string, { ok: boolean; detail: string }>;
}

/**
 * The shopper graph is updated after every event, so it is built cheaper than the item graph
 * (an update costs ~efConstruction distance computations); neighbours need no high recall.
 */
const SHOPPER_HNSW_M = 12;
const SHOPPER_HNSW_EF_CONSTRUCTION = 48;

/** "Shoppers like you" as an engine keeps it: its own small HNSW graph of shopper vectors; undefined when SHOPPER_INDEX_LIMIT is 0. */
export function shopperIndexFrom(
  config: Pick<EngineConfig, 'shopperIndexLimit' | 'shopperIndexKeepCosine' | 'hnswEf'>,
  models: ShopperIndexOptions['models'],
): ShopperIndex | undefined {
  if (config.shopperIndexLimit <= 0) return undefined;
  return new ShopperIndex({
    models,
    limit: config.shopperIndexLimit,
    keepCosine: config.shopperIndexKeepCosine,
    createIndex: (dimension) =>
      new HnswVectorIndex({ dimension, m: SHOPPER_HNSW_M, efConstruction: SHOPPER_HNSW_EF_CONSTRUCTION, ef: config.hnswEf }),
  });
}

/** How often an engine looks for `now` fan-outs still to do on its partitions (ms): partitions taken over, scheduled starts. */
const FAN_OUT_CHECK_MS = 500;

/** The campaign services, built when the engine has a campaign, member and coupon store. */
interface CampaignServices {
  store: CampaignStore;
  registry: CampaignRegistry;
  delivery: PromotionDelivery;
  audiences: AudienceScanner;
  fanOut: CampaignFanOut;
  /** event / cart_abandoned / points_reached, run by the event processor. */
  triggers: CampaignTriggers;
  /** Fires the due cart timers of the owned partitions. */
  cartTimers: CartTimerPoller;
  /** Campaign items in members' lists. */
  boosts: CampaignBoosts;
}

export { ATTRIBUTE_MODEL_VERSION };

export interface EngineStatus {
  ready: boolean;
  catalogItems: number;
  partitions: number[];
  modelVersion: string;
  /** The serving model with its training date and held-out figures (for /readyz and the console). */
  model: ServingModelInfo;
  /** Version of a model whose index is being built, if any. */
  modelBuilding?: string;
}

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
    const createIndex =
      deps.createIndex ??
      ((dimension: number, capacity: number) =>
        new HnswVectorIndex({
          dimension,
          m: config.hnswM,
          efConstruction: config.hnswEfConstruction,
          ef: config.hnswEf,
          initialCapacity: Math.max(1024, capacity),
        }));
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
    this.campaigns = this.createCampaignServices();
    // Shopper vectors of this engine's partitions ("shoppers like you"): a small HNSW graph of its own.
    const shoppers = shopperIndexFrom(config, this.models);
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

  private createCampaignServices(): CampaignServices | undefined {
    const { campaigns: store, members, coupons, users, notifier, config, logger } = this.deps;
    if (!store || !members || !coupons) return undefined;
    const registry = new CampaignRegistry({
      store,
      ...(this.deps.campaignChanges ? { changes: this.deps.campaignChanges } : {}),
      logger: logger.child({ component: 'campaigns' }),
      reloadMs: config.campaignReloadMs,
    });
    const delivery = new PromotionDelivery({
      store,
      coupons,
      notifier,
      logger: logger.child({ component: 'promotions' }),
      metrics: this.metrics,
    });
    const audiences = new AudienceScanner({ members, users, audience: { segments: segmentThresholds(config) } });
    const fanOut = new CampaignFanOut({
      registry,
      delivery,
      store,
      audiences,
      owned: () => this.partitions.owned,
      partitions: config.partitions,
      logger: logger.child({ component: 'campaign-fan-out' }),
      metrics: this.metrics,
      intervalMs: FAN_OUT_CHECK_MS,
    });
    const audience = { segments: segmentThresholds(config) };
    const triggers = new CampaignTriggers({
      registry,
      delivery,
      timers: store,
      catalog: this.catalog,
      partitions: config.partitions,
      metrics: this.metrics,
      logger: logger.child({ component: 'campaign-triggers' }),
      audience,
    });
    const cartTimers = new CartTimerPoller({
      registry,
      delivery,
      timers: store,
      users,
      members,
      owned: () => this.partitions.owned,
      metrics: this.metrics,
      logger: logger.child({ component: 'cart-timers' }),
      options: { pollMs: config.cartTimerPollMs },
      audience,
    });
    return { store, registry, delivery, audiences, fanOut, triggers, cartTimers, boosts: new CampaignBoosts(registry, audience) };
  }

  /**
   * Newest model loaded (if any), catalog replayed into its index, demo catalog seeded if the shop
   * is empty, queries served, partitions taken; then every announced model is loaded and swapped in.
   */
  async start(): Promise<void> {
    const { logger, catalogLog, config } = this.deps;
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
      models: this.models,
      tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
      metrics: this.metrics,
      ...(this.deps.members ? { members: this.deps.members } : {}),
      admission: rpcAdmission(config),
    });
    const wrap =
      <M extends RpcMethod>(method: M, handler: RpcHandler<M>): RpcHandler<M> =>
      async (request, context) => {
        const end = this.metrics.rpcSeconds.startTimer({ method });
        try {
          return await handler(request, context);
        } catch (err) {
          this.metrics.errors.inc({ code: err instanceof PulseError ? err.code : 'internal' });
          throw err;
        } finally {
          end();
        }
      };
    const campaigns = this.campaigns;
    if (this.deps.coupons) {
      registerCouponHandlers(this.deps.rpcServer, {
        coupons: this.deps.coupons,
        rewards: parseRewardCatalogue(config.rewards),
        wrap,
        ...(campaigns ? { campaigns: { store: campaigns.store, logger } } : {}),
      });
      if (this.deps.members) {
        registerHistoryHandlers(this.deps.rpcServer, {
          members: this.deps.members,
          coupons: this.deps.coupons,
          users: this.deps.users,
          wrap,
          ...(campaigns ? { campaigns: campaigns.store } : {}),
        });
      }
    }
    if (campaigns) {
      // Loaded before partitions are taken: triggers on the first events see every campaign.
      await campaigns.registry.start();
      registerCampaignHandlers(this.deps.rpcServer, {
        store: campaigns.store,
        registry: campaigns.registry,
        delivery: campaigns.delivery,
        audiences: campaigns.audiences,
        ...(this.deps.campaignChanges ? { changes: this.deps.campaignChanges } : {}),
        logger: logger.child({ component: 'campaigns' }),
        wrap,
      });
    }
    if (this.deps.members) {
      // Members created here (registration, import) join the analytics index as they are stored.
      const analytics = this.deps.analytics;
      const members = analytics
        ? new AnalyticsRecordingMemberStore(this.deps.members, analytics, (err, memberId) => {
            logger.warn({ err, memberId }, 'member not added to the analytics index; its first purchase adds it');
            this.metrics.errors.inc({ code: 'analytics_member_failed' });
          })
        : this.deps.members;
      // Password hashing in worker threads with a bounded, fair, deadline-aware queue (closed in close()).
      this.passwords ??= new PasswordPool({
        workers: config.passwordWorkers,
        queueLimit: config.passwordQueueLimit,
        clientQueueLimit: config.passwordClientQueueLimit,
        logger: logger.child({ component: 'passwords' }),
      });
      registerMemberHandlers(this.deps.rpcServer, {
        members,
        wrap,
        passwords: this.passwords,
        loginThrottle: { failures: config.loginFailuresPerEmail, windowMs: config.loginFailureWindowSeconds * 1000 },
        registrationRetryMs: config.registrationRetrySeconds * 1000,
      });
      registerMemberImportHandler(this.deps.rpcServer, { members, wrap });
      registerOrderHandlers(this.deps.rpcServer, {
        members: this.deps.members,
        catalog: this.catalog,
        priceTolerance: config.orderPriceTolerance,
        wrap,
      });
    }
    if (this.deps.analytics) {
      registerAnalyticsHandlers(this.deps.rpcServer, {
        analytics: this.deps.analytics,
        users: this.deps.users,
        ...(this.deps.members ? { members: this.deps.members } : {}),
        catalog: this.catalog,
        stats: this.deps.stats,
        ...(campaigns ? { campaigns: campaigns.store } : {}),
        thresholds: segmentThresholds(config),
        affinityHalfLifeSeconds: config.affinityHalfLifeSeconds,
        wrap,
      });
    }
    await this.partitions.start();
    campaigns?.fanOut.start();
    campaigns?.cartTimers.start(this.lifetime.signal);
    this.ready = true;
    logger.info({ engineId: this.id, partitions: this.partitions.owned }, 'engine started');
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
