import { pino } from 'pino';
import type { EngineConfig } from '../../engine/config.js';
import type { Item, RecommendRequest, StoredEvent } from '../../engine/contracts/schemas.js';
import { HnswVectorIndex } from '../../engine/adapters/hnsw-vector-index.js';
import { ExactVectorIndex } from '../../engine/adapters/memory/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/adapters/memory/memory-interaction-stats.js';
import { MemoryUserStateStore } from '../../engine/adapters/memory/memory-user-state-store.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { ItemVectorSource } from '../../engine/ports/item-vector-source.js';
import type { Notifier } from '../../engine/ports/notifier.js';
import type { VectorIndex } from '../../engine/ports/vector-index.js';
import { CatalogService } from '../../engine/services/catalog-service.js';
import { EventProcessor } from '../../engine/services/event-processor.js';
import { AttributeVectorSource, ModelRegistry } from '../../engine/services/model-registry.js';
import { Recommender, recommenderOptionsFrom, type RecommenderOptions } from '../../engine/services/recommender.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import type { EvalMethod, ListFilter } from './method.js';

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
  private readonly options: PulseMethodOptions;
  private readonly index: VectorIndex;
  private readonly models: ModelRegistry;
  private readonly catalog: CatalogService;
  private readonly users: MemoryUserStateStore;
  private readonly stats: MemoryInteractionStats;
  private readonly processor: EventProcessor;
  /** One recommender per `excludeRecent` of the filters asked for; all share the state above. */
  private readonly recommenders = new Map<number, Recommender>();
  /** Recommenders of `listFor`, by their extra options. */
  private readonly extraRecommenders = new Map<string, Recommender>();
  /** Time of the event being applied: the processor's clock. */
  private clock = 0;

  constructor(options: PulseMethodOptions) {
    const { config } = options;
    this.options = options;
    this.name = options.name ?? 'pulse';
    this.modelVersion = options.vectors.version;
    const dimension = options.vectors.dimension;
    this.index =
      options.index === 'exact'
        ? new ExactVectorIndex({ dimension, initialCapacity: Math.max(1024, options.items.length) })
        : new HnswVectorIndex({ dimension, m: config.hnswM, efConstruction: config.hnswEfConstruction, ef: config.hnswEf, initialCapacity: Math.max(1024, options.items.length) });
    const logger = pino({ level: 'silent' });
    // As in engine.ts: the catalog indexes through the registry, which reads the catalog.
    this.catalog = new CatalogService({ indexer: { upsert: (item) => this.models.upsert(item), remove: (itemId) => this.models.remove(itemId) } });
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
    this.stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: config.popularityHalfLifeSeconds });
    this.processor = new EventProcessor({
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
    const list = await this.recommender(filter.excludeRecent).recommend(state, { k, includeBought: filter.includeBought }, ts);
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
