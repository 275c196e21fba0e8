import type { CatalogService } from '../catalog/catalog-service.js';
import type { RecentInteraction, UserState } from '../shoppers/user-state-store.js';
import type { NeighbourLists } from './cached-neighbour-lists.js';
import type { Complements } from './complement-lists.js';
import type { InteractionStats } from './interaction-stats.js';
import { firstPassing, passing, passingEntries, type Filter } from './list-filters.js';
import { mergeCandidates, type Candidate, type CandidateSources } from './logic/ranking.js';
import { RECENCY_WEIGHTS } from './logic/candidate-merge.js';
import { SESSION_QUERY_ITEMS, type SessionIndex } from './logic/session-neighbours.js';
import { NEGATIVE_TYPES } from './recent-reasons.js';
import type { RecommenderSettings } from './recommender-settings.js';
import type { SearchMemos } from './search-memos.js';
import type { ServingModel } from './serving-models.js';
import type { ShopperNeighbourSource } from './shopper-index.js';
import type { Neighbour, SearchMemoBox, VectorIndex } from './vector-index.js';

/** Popular items held in the cache; candidates are the first of them that pass the filters. */
const POPULAR_POOL = 500;
/** A category scope is "small" (scanned exactly instead of a filtered HNSW search) below either bound. */
const SMALL_SCOPE_SHARE = 0.05;
const SMALL_SCOPE_ITEMS = 2000;
/**
 * A seed whose co-visitation list would weigh less than this (its event's recency weight, e.g.
 * 2^-9 for the tenth newest event under the served halving) is not read: its entries can add at
 * most 1/512 of a list's best co-visitation score. With the served ranking a shopper with a long
 * history reads at most 9 events' lists instead of 20 seeds' (~40-120 entries each, filtered and
 * merged); a basket's lines share their event's weight, so a wholesale customer's last invoices
 * still seed all 20. `npm run eval`: every figure unchanged at 2 decimals on both data sets.
 */
const SEED_WEIGHT_FLOOR = 1 / 256;
/** Nearest shoppers whose recent items become candidates. */
const SHOPPER_NEIGHBOURS = 20;
/** Items of "sessions like yours" asked for, before the list's filters. */
const SESSION_ITEMS = 200;

/** The co-visitation list of one recent item, with the recency position it is weighted by. */
export interface CoVisitedSource {
  via: string;
  items: Array<[string, number]>;
  position: number;
}

export interface ListCandidatesDeps {
  catalog: CatalogService;
  stats: InteractionStats;
  /** Co-visitation and complement lists, through a short-lived cache (`statsCacheMs`). */
  lists: NeighbourLists;
  shoppers: ShopperNeighbourSource | undefined;
  sessions: SessionIndex | undefined;
  /** Sources in use; undefined: all. */
  sources: ReadonlySet<keyof CandidateSources> | undefined;
  /** Each shopper's memo of their last taste search (`searchMemoUsers`). */
  memos: SearchMemos;
  settings: Pick<
    RecommenderSettings,
    'excludeRecent' | 'popularCacheMs' | 'coVisitSeeds' | 'coVisitSeedScope' | 'coVisitRecencyBy' | 'sessionGapSeconds' | 'ranking'
  >;
}

/**
 * Candidate gathering: every source of a list's candidates (taste and query neighbours, the recent
 * items' co-visitation, popularity, "shoppers like you", "sessions like yours", what follows the
 * newest item, complements), each inside the list's filter, merged into one candidate per item.
 * Holds the shop-wide reads' short caches (popularity here, the lists in `lists`).
 */
export class ListCandidates {
  private readonly catalog: CatalogService;
  private readonly stats: InteractionStats;
  private readonly lists: NeighbourLists;
  private readonly shoppers: ShopperNeighbourSource | undefined;
  private readonly sessionIndex: SessionIndex | undefined;
  private readonly sources: ReadonlySet<keyof CandidateSources> | undefined;
  private readonly memos: SearchMemos;
  private readonly options: ListCandidatesDeps['settings'];
  private popularCache: { fetchedAt: number; items: Array<[string, number]> } | undefined;
  private popularInFlight: Promise<Array<[string, number]>> | undefined;

  constructor(deps: ListCandidatesDeps) {
    this.catalog = deps.catalog;
    this.stats = deps.stats;
    this.lists = deps.lists;
    this.shoppers = deps.shoppers;
    this.sessionIndex = deps.sessions;
    this.sources = deps.sources;
    this.memos = deps.memos;
    this.options = deps.settings;
  }

  /** The shop-wide reads of a list, fetched together: the recent items' co-visitation lists and the popular pool. */
  shopWide(user: UserState, now: number, limit: number): Promise<[CoVisitedSource[], Array<[string, number]>]> {
    return Promise.all([this.coVisitedSources(user, now, limit), this.popularPool()]);
  }

  /**
   * The candidates of every source in use, inside `filter`, merged (logic/ranking.ts). Taste
   * neighbours (searched with `tasteSearch`, the query blended in when there is one) and,
   * separately, the query's own neighbours, so an exact match is never crowded out by taste. A
   * source not in use is not searched at all.
   */
  gather(
    user: UserState,
    model: ServingModel,
    filter: Filter,
    scope: ReadonlySet<string> | undefined,
    limit: number,
    taste: Float32Array | undefined,
    tasteSearch: Float32Array | undefined,
    query: Float32Array | undefined,
    text: ReadonlyMap<string, number>,
    coVisited: readonly CoVisitedSource[],
    popular: Array<[string, number]>,
    complements: Pick<Complements, 'sources'>,
    userId: string | undefined,
  ): Map<string, Candidate> {
    const { index } = model;
    const queried = query && this.uses('query') ? this.nearest(index, query, limit, filter, scope) : [];
    // The query's text matches join its vector neighbours (relevance set by measure later).
    for (const id of text.keys()) queried.push({ id, similarity: 0 });
    return mergeCandidates(
      this.used({
        vector: tasteSearch && this.uses('vector') ? this.nearest(index, tasteSearch, limit, filter, scope, this.memos.box(userId)) : [],
        query: queried,
        coVisited: coVisited.map(({ via, items, position }) => ({ via, items: passingEntries(items, filter), position })),
        popular: firstPassing(popular, filter, limit),
        neighbours:
          taste && this.shoppers && this.uses('neighbours')
            ? firstPassing(this.shoppers.likedByNeighbours(taste, model.source.version, SHOPPER_NEIGHBOURS, userId), filter, limit)
            : [],
        complements: complements.sources.map(({ via, items, weight }) => ({ via, items: passingEntries(items, filter), weight })),
        follows: this.sessionIndex && this.uses('follows') ? this.followingNewest(user, filter, limit) : undefined,
        sessions:
          this.sessionIndex && this.uses('sessions')
            ? this.sessionIndex.queryPassing(
                latestSession(user.recent, this.options.sessionGapSeconds, SESSION_QUERY_ITEMS),
                { userId, limit: SESSION_ITEMS },
                limit,
                filter,
              )
            : [],
      }),
      this.options.ranking,
    );
  }

  /** Whether a candidate source is in use (`options.sources`). */
  uses(name: keyof CandidateSources): boolean {
    return this.sources === undefined || this.sources.has(name);
  }

  /** The sources in use (`options.sources`) of `all`. */
  private used(all: CandidateSources): CandidateSources {
    const sources = this.sources;
    if (!sources) return all;
    return Object.fromEntries(Object.entries(all).filter(([name]) => sources.has(name as keyof CandidateSources))) as CandidateSources;
  }

  /** What followed the shopper's newest item in other sessions (sequential rules), inside the filter. */
  private followingNewest(user: UserState, filter: Filter, limit: number): CandidateSources['follows'] {
    const newest = user.recent.find((entry) => !NEGATIVE_TYPES.has(entry.type))?.itemId;
    if (newest === undefined || !this.sessionIndex) return undefined;
    return { after: newest, items: this.sessionIndex.following(newest, SESSION_ITEMS, limit, filter) };
  }

  /**
   * Nearest neighbours inside the filter; a small category scope is scanned exactly (filtered HNSW
   * collapses there). `memo`: the shopper's slot for reusing their last walk (VectorIndex.search).
   */
  private nearest(
    index: VectorIndex,
    vector: Float32Array,
    k: number,
    filter: Filter,
    scope: ReadonlySet<string> | undefined,
    memo?: SearchMemoBox,
  ): Neighbour[] {
    const catalogSize = this.catalog.size;
    if (scope !== undefined && (scope.size < SMALL_SCOPE_ITEMS || scope.size < catalogSize * SMALL_SCOPE_SHARE)) {
      return index.scanExact(vector, k, passing(scope, filter));
    }
    return index.search(vector, k, filter, memo);
  }

  /** Co-visitation lists of the newest distinct recent items inside the session window. */
  private async coVisitedSources(user: UserState, now: number, limit: number): Promise<CoVisitedSource[]> {
    const sessionStart = this.options.coVisitSeedScope === 'history' ? -Infinity : now - this.options.sessionGapSeconds * 1000;
    const byEvent = this.options.coVisitRecencyBy === 'event';
    const recency = this.options.ranking.coVisitRecency ?? RECENCY_WEIGHTS;
    const seeds: string[] = [];
    const positions: number[] = [];
    let position = -1;
    let previous: RecentInteraction | undefined;
    for (const entry of user.recent) {
      if (seeds.length >= this.options.coVisitSeeds) break;
      // The lines of one event sit next to each other with its type and time (see RecentInteraction).
      const sameEvent = previous !== undefined && previous.ts === entry.ts && previous.type === entry.type;
      previous = entry;
      if (entry.ts < sessionStart || NEGATIVE_TYPES.has(entry.type) || seeds.includes(entry.itemId)) continue;
      if (!byEvent || !sameEvent || position < 0) position++;
      if (recency[Math.min(position, recency.length - 1)]! < SEED_WEIGHT_FLOOR) break;
      seeds.push(entry.itemId);
      positions.push(position);
    }
    // Ask for more than needed: the session's own items (excluded later) co-visit each other most.
    const lists = await Promise.all(seeds.map((id) => this.lists.coVisited(id, limit + this.options.excludeRecent)));
    return seeds.map((via, i) => ({ via, items: lists[i] ?? [], position: positions[i]! }));
  }

  /** The shop's most popular items, cached for `popularCacheMs`; concurrent callers share one fetch. */
  private async popularPool(): Promise<Array<[string, number]>> {
    const cached = this.popularCache;
    if (cached && Date.now() - cached.fetchedAt < this.options.popularCacheMs) return cached.items;
    if (!this.popularInFlight) {
      this.popularInFlight = this.stats
        .popular(POPULAR_POOL)
        .then((items) => {
          this.popularCache = { fetchedAt: Date.now(), items };
          return items;
        })
        .finally(() => {
          this.popularInFlight = undefined;
        });
    }
    return this.popularInFlight;
  }
}

/**
 * The items of the shopper's latest session, newest first, distinct, positive interactions only:
 * the run of recent interactions with no pause longer than the session gap, however long ago it
 * ended (a returning shopper's last visit still says what they were after). `max`: its newest
 * `max` items only (a query reads no more than SESSION_QUERY_ITEMS).
 */
export function latestSession(recent: readonly RecentInteraction[], sessionGapSeconds: number, max = Infinity): string[] {
  const out: string[] = [];
  const gap = sessionGapSeconds * 1000;
  let previousTs: number | undefined;
  for (const entry of recent) {
    if (out.length >= max || (previousTs !== undefined && previousTs - entry.ts > gap)) break;
    previousTs = entry.ts;
    if (NEGATIVE_TYPES.has(entry.type) || out.includes(entry.itemId)) continue;
    out.push(entry.itemId);
  }
  return out;
}
