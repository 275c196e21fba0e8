import type { Logger } from 'pino';
import type { EngineConfig } from './config.js';
import type { ServingModelInfo } from './contracts/model-info.js';
import type { EngineMetrics } from './metrics.js';
import type { CampaignChanges } from './campaigns/campaign-changes.js';
import type { CampaignStore } from './campaigns/campaign-store.js';
import type { CatalogLog } from './catalog/catalog-log.js';
import type { CouponStore } from './members/coupon-store.js';
import type { EventSource } from './stream/event-log.js';
import type { InteractionStats } from './recommend/interaction-stats.js';
import type { ItemVectorSource } from './recommend/item-vector-source.js';
import type { MemberStore } from './members/member-store.js';
import type { ModelAnnouncements } from './recommend/model-announcements.js';
import type { Notifier } from './platform/notifier.js';
import type { PartitionLeases } from './stream/partition-leases.js';
import type { PresenceView } from './platform/presence.js';
import type { RpcServer } from './platform/rpc.js';
import type { ShopAnalytics } from './analytics/shop-analytics.js';
import type { UserStateStore } from './shoppers/user-state-store.js';
import type { VectorIndex } from './recommend/vector-index.js';
import type { PasswordPool } from './members/adapters/password-pool.js';
import type { Item } from './contracts/schemas.js';
import type { WriteCoalescer } from './platform/redis/held-writes.js';

/** The engine's outside world, each a port or a factory; the composition root (scripts/lib/roles.ts) and the tests pick the adapters. */
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
  /** Index for a model of `dimension` with room for `capacity` items (HNSW in a running engine: recommend/adapters/index-factories.ts). */
  createIndex: (dimension: number, capacity: number) => VectorIndex;
  /** Index of the attribute model served at start. Defaults to `createIndex(config.vectorDim, 1024)`. */
  index?: VectorIndex;
  /** The "shoppers like you" graph (a cheaper HNSW in a running engine). Defaults to `createIndex(dimension, 1024)`. */
  createShopperIndex?: (dimension: number) => VectorIndex;
  /** Items to put on an empty catalog at start (the demo catalog when DEMO_CATALOG is on); none when absent. */
  seedCatalog?: () => Item[];
  /** The password hashing pool (worker threads), made on first use; required when `members` is given. */
  createPasswordPool?: () => PasswordPool;
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
  /** Holds the state connection's writes while a batch's stages start theirs, sent as one (platform/redis/held-writes.ts); without it each goes at once. */
  coalesceWrites?: WriteCoalescer;
  /** Its connections' checks (Redis, persistence, NATS), answered to gateways' `engine.ping` for their /readyz. */
  health?: () => Record<string, { ok: boolean; detail: string }>;
}

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
