import { pino } from 'pino';
import type { EngineConfig } from '../../engine/config.js';
import type { Item, RecommendRequest, StoredEvent } from '../../engine/contracts/schemas.js';
import { HnswVectorIndex, shopperIndexFactory } from '../../engine/recommend/mod.js';
import { ExactVectorIndex } from '../../engine/recommend/mod.js';
import { MemoryInteractionStats, type InteractionStats } from '../../engine/recommend/mod.js';
import { MemoryUserStateStore } from '../../engine/shoppers/mod.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { ItemVectorSource } from '../../engine/recommend/mod.js';
import type { Notifier } from '../../engine/platform/mod.js';
import type { VectorIndex } from '../../engine/recommend/mod.js';
import { CatalogService } from '../../engine/catalog/mod.js';
import { EventProcessor } from '../../engine/stream/mod.js';
import { AttributeVectorSource, ModelRegistry } from '../../engine/recommend/mod.js';
import {
  Recommender,
  listEvidenceFrom,
  recommenderOptionsFrom,
  sessionIndexFrom,
  type RecommenderOptions,
} from '../../engine/recommend/mod.js';
import type { ListEvidence } from '../../engine/recommend/mod.js';
import type { SessionIndex } from '../../engine/recommend/mod.js';
import { shopperIndexFrom } from '../../engine/engine.js';
import type { ShopperIndex } from '../../engine/recommend/mod.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import type { EvalMethod, ListFilter } from './method.js';
import type { SharedAggregates } from './shared-aggregates.js';

/**
 * Pulse itself, in process: the engine's own CatalogService, index, Recommender and
 * EventProcessor over the in-memory fakes of the state ports (same semantics as the Redis
 * adapters, by their conformance suite). Events go through `EventProcessor.process`, the path a
 * consumed JetStream message takes; lists come from `Recommender.recommend` on the state loaded
 * from the store, as the `recommend` RPC does. Event time is `now` everywhere (popularity decay,
 * session windows); nothing is pushed (`pushMaxAgeMs` -1 makes every event backlog).
 */

export interface PulseMethodOptions {
  /** Row name. Default `pulse`. */
  name?: string;
  items: readonly Item[];
  /** Item vectors: a learned model, or the attribute encoder. */
  vectors: ItemVectorSource;
  /** The engine configuration (defaults: `loadEngineConfig({})`). */
  config: EngineConfig;
  /** `hnsw` (what serves) or `exact` (brute force, the recall reference). Default hnsw. */
  index?: 'hnsw' | 'exact';
  /** Ranking options beyond the engine's (tuning); excludeRecent comes from each list filter. */
  recommender?: Partial<Omit<RecommenderOptions, 'excludeRecent'>>;
  /** Recent items of the session each interaction pairs with for co-visitation. Default 5 (as the engine). */
  coVisitWindow?: number;
  /** Options over the engine's for the served default list (the per-source rows: one source alone). */
  served?: Partial<RecommenderOptions>;
  /** Names of the list filters this row is measured under (default all). */
  filters?: readonly string[];
  /**
   * The shop-wide aggregates shared with the replay's other rows (learned once: see
   * SharedAggregates for when that is sound); default: this row's own.
   */
  aggregates?: SharedAggregates;
}

/** The engine wires the event processor with this window (engine/engine.ts). */
export const ENGINE_COVISIT_WINDOW = 5;

/**
 * Every wall-clock cache of shop-wide reads off: replayed time runs far faster than the clock, so
 * a list must read popularity and the neighbour lists as of the replayed event. (The engine's
 * STATS_CACHE_MS and NEIGHBOUR_CACHE_MS are not applied here; these are set explicitly so the
 * replay stays fresh whatever the Recommender's defaults.)
 */
const FRESH_AGGREGATES = { popularCacheMs: 0, statsCacheMs: 0, neighbourCacheMs: 0 } as const satisfies Partial<RecommenderOptions>;

const NO_PUSH: Notifier = { pushToUser: () => undefined, pushToAll: () => undefined };

export class PulseMethod implements EvalMethod {
  readonly name: string;
  readonly modelVersion: string;
  readonly filters: readonly string[] | undefined;
  private readonly options: PulseMethodOptions;
  private readonly index: VectorIndex;
  private readonly models: ModelRegistry;
  private readonly catalog: CatalogService;
  private readonly users: MemoryUserStateStore;
  private readonly stats: InteractionStats;
  private readonly processor: EventProcessor;
  /** One recommender per `excludeRecent` of the filters asked for; all share the state above. */
  private readonly recommenders = new Map<number, Recommender>();
  /** The served default list's recommender (engine defaults, re-visit evidence), made on first use. */
  private servedRecommender: Recommender | undefined;
  /** Re-visit evidence, learned by the processor as in the engine (undefined: REVISIT_MAX_SHARE 0). */
  private readonly evidence: ListEvidence | undefined;
  /** The recent sessions ("sessions like yours"), fed by the processor as in the engine. */
  private readonly sessions: SessionIndex | undefined;
  /** The shoppers' vectors ("shoppers like you"), fed by the processor as in the engine. */
  private readonly shoppers: ShopperIndex | undefined;
  /** Recommenders of `listFor`, by their extra options. */
  private readonly extraRecommenders = new Map<string, Recommender>();
  /** Time of the event being applied: the processor's clock. */
  private clock = 0;

  constructor(options: PulseMethodOptions) {
    const { config } = options;
    this.options = options;
    this.name = options.name ?? 'pulse';
    this.filters = options.filters;
    this.modelVersion = options.vectors.version;
    const dimension = options.vectors.dimension;
    this.index =
      options.index === 'exact'
        ? new ExactVectorIndex({ dimension, initialCapacity: Math.max(1024, options.items.length) })
        : new HnswVectorIndex({
            dimension,
            m: config.hnswM,
            efConstruction: config.hnswEfConstruction,
            ef: config.hnswEf,
            initialCapacity: Math.max(1024, options.items.length),
          });
    const logger = pino({ level: 'silent' });
    // As in engine.ts: the catalog indexes through the registry, which reads the catalog.
    this.catalog = new CatalogService({
      indexer: { upsert: (item) => this.models.upsert(item), remove: (itemId) => this.models.remove(itemId) },
    });
    this.models = new ModelRegistry({
      initial: { source: options.vectors, index: this.index },
      catalog: this.catalog,
      createIndex: () => {
        throw new Error('the evaluation serves one model; it does not load others');
      },
      loadSource: () => Promise.reject(new Error('the evaluation serves one model; it does not load others')),
      modelsDir: '.',
      logger,
    });
    for (const item of options.items) this.catalog.apply({ type: 'upsert', item });
    this.users = new MemoryUserStateStore({ recentLimit: config.recentLimit, dedupeTtlSeconds: config.dedupeTtlSeconds });
    this.stats = options.aggregates?.view() ?? new MemoryInteractionStats({ popularityHalfLifeSeconds: config.popularityHalfLifeSeconds });
    this.evidence = listEvidenceFrom(config);
    this.sessions = sessionIndexFrom(config);
    // "Shoppers like you" as engine.ts wires it (its own small HNSW graph).
    this.shoppers = shopperIndexFrom(config, this.models, shopperIndexFactory(config));
    this.processor = new EventProcessor({
      ...(this.evidence ? { evidence: this.evidence } : {}),
      ...(this.sessions ? { sessions: this.sessions } : {}),
      ...(this.shoppers ? { shoppers: this.shoppers } : {}),
      users: this.users,
      stats: this.stats,
      models: this.models,
      recommender: this.recommender(20),
      notifier: NO_PUSH,
      metrics: new EngineMetrics(),
      logger,
      now: () => this.clock,
      // As the engine: affinity, cart and purchase aggregates are learned too (the same code path).
      itemAttributes: (itemId) => this.catalog.get(itemId),
      options: {
        defaultK: config.defaultK,
        tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
        sessionGapSeconds: config.sessionGapSeconds,
        coVisitWindow: options.coVisitWindow ?? ENGINE_COVISIT_WINDOW,
        recentLimit: config.recentLimit,
        affinityHalfLifeSeconds: config.affinityHalfLifeSeconds,
        boughtAfterWindowSeconds: config.boughtAfterWindowSeconds,
        pushMaxAgeMs: -1,
        retryDelayMs: 1000,
        // Every batch (deterministic): the engine's interval is wall-clock, a replay runs far faster than that.
        shopperIndexIntervalMs: 0,
      },
    });
  }

  /** Items in the index. */
  get indexedItems(): number {
    return this.index.size;
  }

  async learn(event: StoredEvent): Promise<void> {
    this.clock = event.ts;
    await this.processor.process(event);
  }

  async recommend(userId: string, k: number, ts: number, filter: ListFilter): Promise<string[]> {
    const state = await this.users.load(userId);
    // The served default: exactly `recommend {k}` as the engine answers it (its user id, so the list is remembered as evidence).
    const list = filter.served
      ? await this.served().recommend(state, { k }, ts, undefined, userId)
      : await this.recommender(filter.excludeRecent).recommend(state, { k, includeBought: filter.includeBought }, ts);
    return list.items.map((item) => item.itemId);
  }

  /**
   * The user's list for any request (a search, a channel) from a recommender with `extra` options
   * on this method's state: the search eval (scripts/eval/search.ts) compares text shares this way.
   */
  async listFor(userId: string, request: RecommendRequest, ts: number, extra: Partial<RecommenderOptions>): Promise<string[]> {
    const key = JSON.stringify(extra);
    let recommender = this.extraRecommenders.get(key);
    if (!recommender) {
      const { config } = this.options;
      const options = { ...recommenderOptionsFrom(config), ...FRESH_AGGREGATES, ...this.options.recommender, ...extra };
      recommender = new Recommender({ catalog: this.catalog, models: this.models, stats: this.stats, options });
      this.extraRecommenders.set(key, recommender);
    }
    const list = await recommender.recommend(await this.users.load(userId), request, ts);
    return list.items.map((item) => item.itemId);
  }

  /** The engine's own recommender: its configuration's defaults, the re-visit evidence; only the wall-clock caches off. */
  private served(): Recommender {
    this.servedRecommender ??= new Recommender({
      catalog: this.catalog,
      models: this.models,
      stats: this.stats,
      ...(this.evidence ? { evidence: this.evidence } : {}),
      ...(this.sessions ? { sessions: this.sessions } : {}),
      ...(this.shoppers ? { shoppers: this.shoppers } : {}),
      options: { ...recommenderOptionsFrom(this.options.config), ...FRESH_AGGREGATES, ...this.options.served },
    });
    return this.servedRecommender;
  }

  private recommender(excludeRecent: number): Recommender {
    let recommender = this.recommenders.get(excludeRecent);
    if (!recommender) {
      const { config } = this.options;
      recommender = new Recommender({
        catalog: this.catalog,
        models: this.models,
        stats: this.stats,
        options: {
          // As the engine runs (boost, diversity, search share from its configuration), then the tuning.
          ...recommenderOptionsFrom(config),
          // Aggregates move with every replayed event; the shop's wall-clock caches would freeze them.
          ...FRESH_AGGREGATES,
          ...this.options.recommender,
          excludeRecent,
          // The filter rows measure the ranking under fixed rules: recent items hidden or not, never merged by evidence.
          revisits: 'hide',
        },
      });
      this.recommenders.set(excludeRecent, recommender);
    }
    return recommender;
  }
}

/** The engine's vectors until a model is loaded: the attribute encoder. */
export function attributeVectors(dimension: number): ItemVectorSource {
  return new AttributeVectorSource(new ContentEncoder({ dimension }));
}
