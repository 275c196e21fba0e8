import type { Logger } from 'pino';
import type { EffectOptions, VectorLookup } from '../shoppers/logic/event-effect.js';
import type { SegmentThresholds } from '../shoppers/logic/segments.js';
import type { SessionIndex } from '../recommend/logic/session-neighbours.js';
import type { PointsRates, TierThresholds } from '../members/logic/tiers.js';
import type { ItemAttributesOf } from '../campaigns/logic/triggers.js';
import type { EngineMetrics } from '../metrics.js';
import type { InteractionStats } from '../recommend/interaction-stats.js';
import type { MemberStore } from '../members/member-store.js';
import type { Notifier } from '../platform/notifier.js';
import type { PresenceView } from '../platform/presence.js';
import type { ShopAnalytics } from '../analytics/shop-analytics.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';
import type { CampaignTriggers } from '../campaigns/campaign-triggers.js';
import type { ListEvidence } from '../recommend/list-evidence.js';
import type { ServingModels } from '../recommend/model-registry.js';
import type { Recommender } from '../recommend/recommender.js';
import type { ShopperIndex } from '../recommend/shopper-index.js';
import type { WriteCoalescer } from '../platform/redis/held-writes.js';

export interface EventProcessorOptions extends EffectOptions {
  /** Length of pushed lists. */
  defaultK: number;
  /** Events older than this (ms since the gateway accepted them) are backlog: applied, not pushed. */
  pushMaxAgeMs: number;
  /** Delay before a failed event is redelivered (ms); grows with each delivery, up to 30 s. */
  retryDelayMs: number;
  /** A shopper's vector joins the "shoppers like you" index at most once per this many ms (default 0: every batch). */
  shopperIndexIntervalMs?: number;
  /** The same for a shopper whose batch held only history (accepted or made over `pushMaxAgeMs` ago: an import, a replay), first state included (default: `shopperIndexIntervalMs`). */
  shopperIndexBacklogIntervalMs?: number;
  /**
   * Users whose state the engine keeps after storing it (LRU), so their next batch skips the load:
   * this engine is the only writer while it holds their partition, and a stale entry (another
   * engine wrote meanwhile) is caught by the store's version check and loaded again. Default
   * 20,000 (~5-10 KB each); 0 = off.
   */
  userCacheSize?: number;
  /**
   * Deliveries after which an event that keeps failing for a reason other than an outage
   * (not `unavailable`/`timeout`) goes to the dead-letter stream and is acked. Default 5.
   */
  maxDeliveries?: number;
}

export type EventProcessorDeps = EventProcessorBaseDeps &
  (
    | {
        /** The serving model, taken once per batch: user vectors of an older one are re-derived. */
        models: ServingModels;
      }
    | {
        /** Fixed vectors (tools replaying one model): no model swaps, no re-derivation. */
        vectors: VectorLookup;
      }
  );

export interface EventProcessorBaseDeps {
  users: UserStateStore;
  stats: InteractionStats;
  /** Ranks the list pushed after a batch; absent in replay tools, which push nothing. */
  recommender?: Recommender;
  notifier: Notifier;
  /** Users with an open socket: lists are ranked and pushed only for them. Without it: everyone live. */
  presence?: PresenceView;
  metrics: EngineMetrics;
  logger: Logger;
  options: EventProcessorOptions;
  /** Members earn points from their purchases; without it no points are credited. */
  members?: { store: MemberStore; thresholds: TierThresholds; rates: PointsRates };
  /** Category and brand of an item (the engine's catalog copy), for affinity; without it none is learned. */
  itemAttributes?: ItemAttributesOf;
  /** Campaign triggers run after a member's live event; without it none fire (replay tools). */
  triggers?: CampaignTriggers;
  /** Shop-wide analytics (segment sizes, counters), written once per batch; without it none are kept. */
  analytics?: { store: ShopAnalytics; thresholds: Pick<SegmentThresholds, 'brandLoyalShare' | 'brandLoyalMinEvents'> };
  /** Shopper vectors for "shoppers like you", updated once per user per batch; without it none are kept. */
  shoppers?: ShopperIndex;
  /** Where each shopper's next item was among their recent items and their last fresh ranking (re-visits by evidence); without it none is learned. */
  evidence?: ListEvidence;
  /** The shop's recent sessions ("sessions like yours"), fed with every applied item event; without it none are kept. */
  sessions?: SessionIndex;
  /** The catalog's best text matches of a search query (CatalogService.textMatches); without it a search moves the shopper by the query's vector alone. */
  textMatches?: (query: string) => ReadonlyArray<{ id: string; score: number }>;
  /**
   * Holds the state connection's writes while the stages start their after-store work, then sends
   * them as one (platform/redis/held-writes.ts): the aggregates' and analytics' scripts and the
   * list's reads of a batch in one write syscall instead of one each. Without it each goes at once.
   */
  coalesceWrites?: WriteCoalescer;
  now?: () => number;
}

/** What became of one event of a batch. */
export type EventResult = { outcome: 'applied' | 'duplicate' } | { error: unknown };
