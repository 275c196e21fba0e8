import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { RecommendationList, RecommendedItem, RecommendRequest, Tier } from '../contracts/schemas.js';
import {
  checkRankingTuning,
  mergeCandidates,
  scoreCandidates,
  withReasons,
  type Candidate,
  type CandidateSources,
  type RankingContext,
} from './logic/ranking.js';
import {
  campaignPicks,
  campaignSlots,
  withCampaignItems,
  type CampaignBoostSource,
  type CampaignCandidate,
} from '../campaigns/logic/campaign-ranking.js';
import { checkSearchTextShare, DEFAULT_SEARCH_TEXT_SHARE, normalisedMatches, searchRelevance } from '../catalog/logic/search-relevance.js';
import { addScaled, isUsableVector, norm, normalized } from './logic/vector-math.js';
import type { InteractionStats } from './interaction-stats.js';
import type { StoredMember } from '../members/member-store.js';
import type { RecentInteraction, UserState } from '../shoppers/user-state-store.js';
import { UNIT_LENGTH_TOLERANCE, type Neighbour, type SearchMemoBox, type VectorIndex } from './vector-index.js';
import type { ContentEncoder } from '../../models/content-encoder.js';
import { ItemNotFoundError, type CatalogService } from '../catalog/catalog-service.js';
import { ComplementFinder } from './complement-lists.js';
import { AffinitySignals } from './affinity-signals.js';
import { CachedNeighbourLists, type NeighbourLists } from './cached-neighbour-lists.js';
import { fillList } from './list-fill.js';
import { firstPassing, passing, passingEntries, type Filter } from './list-filters.js';
import { NEGATIVE_TYPES, RecentReasons } from './recent-reasons.js';
import { CachedNeighbourSource, type ShopperNeighbourSource } from './shopper-index.js';
import { SearchMemos } from './search-memos.js';
import { checkShortCache } from '../platform/short-cache.js';
import { checkAffinityBoost } from './logic/affinity-boost.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from '../shoppers/logic/affinity.js';
import { checkDiversity, diversify } from './logic/diversity.js';
import { AttributeVectorSource, type ServingModels } from './model-registry.js';
import type { RecommenderOptions } from './recommender-options.js';
import type { ListEvidence } from './list-evidence.js';
import type { SessionIndex } from './logic/session-neighbours.js';
import { mergeRevisits, revisitCandidates } from './logic/revisits.js';

export type { CampaignBoost, CampaignBoostSource } from '../campaigns/logic/campaign-ranking.js';
export {
  listEvidenceFrom,
  recommenderOptionsFrom,
  SERVED_RANKING,
  sessionIndexFrom,
  type RecommenderOptions,
} from './recommender-options.js';

/** The index and vectors come from the swappable serving model, or (tests, tools) a fixed index + attribute encoder. */
export type RecommenderDeps = {
  catalog: CatalogService;
  stats: InteractionStats;
  options: RecommenderOptions;
  /** Campaign items for members in a running campaign's audience; without it no list is boosted. */
  boosts?: CampaignBoostSource;
  /** Nearest shoppers' items ("shoppers like you"); without it that source is off. */
  shoppers?: ShopperNeighbourSource;
  /** Re-visit evidence (list-evidence.ts): default lists are remembered there and recent items merged by it. */
  evidence?: ListEvidence;
  /** The shop's recent sessions ("sessions like yours", logic/session-neighbours.ts); without it that source is off. */
  sessions?: SessionIndex;
} & ({ models: ServingModels } | { index: VectorIndex; encoder: ContentEncoder });

/** Candidates fetched per source: CANDIDATE_FACTOR x k, at least MIN_CANDIDATES. */
const CANDIDATE_FACTOR = 4;
const MIN_CANDIDATES = 20;
/** Recent items (newest first) whose co-visitation lists become candidates. */
const COVISIT_SEEDS = 3;
/** Share of the query's direction in the search vector when the shopper also has a taste vector. */
const QUERY_BLEND = 0.6;
/** Popular items held in the cache; candidates are the first of them that pass the filters. */
const POPULAR_POOL = 500;
/** A category scope is "small" (scanned exactly instead of a filtered HNSW search) below either bound. */
const SMALL_SCOPE_SHARE = 0.05;
const SMALL_SCOPE_ITEMS = 2000;
/** Nearest shoppers whose recent items become candidates. */
const SHOPPER_NEIGHBOURS = 20;
/** With diversity, MMR picks from this many times the list's length of ranked candidates. */
const DIVERSITY_POOL = 3;
/** Default bounds of the short caches (RecommenderOptions.statsCacheItems, neighbourCacheUsers). */
const STATS_CACHE_ITEMS = 2000;
const NEIGHBOUR_CACHE_USERS = 2000;
const SEARCH_MEMO_USERS = 20_000;
/** Items of "sessions like yours" asked for, before the list's filters. */
const SESSION_ITEMS = 200;

/**
 * Answers "what should this shopper see now": merges vector neighbours, session co-visitation,
 * popularity and query relevance, applies every business filter to all of them, and ranks with
 * ranking.ts. Stateless apart from short caches of shop-wide reads (popularity, each item's
 * co-visitation and complement lists, each shopper's "shoppers like you", each item's parsed
 * category and brand keys; see the *CacheMs options); receives the user's state, never loads it.
 *
 * Per list, the work is kept to what the list shows: the taste search's cosines are reused rather
 * than measured again, scores are sorted only for the best candidates, and reasons are written
 * only for the items the list keeps.
 */
export class Recommender {
  private readonly catalog: CatalogService;
  private readonly models: ServingModels;
  private readonly stats: InteractionStats;
  private readonly boosts: CampaignBoostSource | undefined;
  private readonly shoppers: ShopperNeighbourSource | undefined;
  private readonly evidence: ListEvidence | undefined;
  private readonly sessionIndex: SessionIndex | undefined;
  private readonly options: Required<
    Omit<
      RecommenderOptions,
      | 'modelVersion'
      | 'complements'
      | 'sources'
      | 'statsCacheMs'
      | 'statsCacheItems'
      | 'neighbourCacheMs'
      | 'neighbourCacheUsers'
      | 'searchMemoUsers'
    >
  > &
    Pick<RecommenderOptions, 'modelVersion'>;
  /** Co-visitation and complement lists, through a short-lived cache (`statsCacheMs`). */
  private readonly lists: NeighbourLists;
  private readonly complements: ComplementFinder;
  private readonly affinity: AffinitySignals;
  /** Sources in use; undefined: all. */
  private readonly sources: ReadonlySet<keyof CandidateSources> | undefined;
  /** Each shopper's memo of their last taste search (`searchMemoUsers`). */
  private readonly memos: SearchMemos;
  private popularCache: { fetchedAt: number; items: Array<[string, number]> } | undefined;
  private popularInFlight: Promise<Array<[string, number]>> | undefined;

  constructor(deps: RecommenderDeps) {
    const { options } = deps;
    if (!Number.isInteger(options.defaultK) || options.defaultK < 1 || options.defaultK > 100)
      throw new RangeError(`defaultK must be an integer in 1..100, got ${options.defaultK}`);
    if (!(options.sessionGapSeconds > 0)) throw new RangeError(`sessionGapSeconds must be positive, got ${options.sessionGapSeconds}`);
    this.catalog = deps.catalog;
    if ('models' in deps) this.models = deps.models;
    else {
      const fixed = { source: new AttributeVectorSource(deps.encoder), index: deps.index };
      this.models = { current: () => fixed };
    }
    this.stats = deps.stats;
    this.boosts = deps.boosts;
    this.evidence = deps.evidence;
    this.sessionIndex = deps.sessions;
    this.sources = options.sources ? new Set(options.sources) : undefined;
    const { statsCacheMs, statsCacheItems, neighbourCacheMs, neighbourCacheUsers, searchMemoUsers, ...rest } = options;
    this.memos = new SearchMemos(searchMemoUsers ?? SEARCH_MEMO_USERS);
    this.options = {
      excludeRecent: 20,
      popularCacheMs: 1000,
      coVisitSeeds: COVISIT_SEEDS,
      coVisitSeedScope: 'session',
      coVisitRecencyBy: 'item',
      ranking: {},
      campaignShare: 0.2,
      affinityBoost: 0,
      affinityHalfLifeSeconds: DEFAULT_AFFINITY_HALF_LIFE_SECONDS,
      diversity: 0,
      searchTextShare: DEFAULT_SEARCH_TEXT_SHARE,
      revisits: 'evidence',
      includeBoughtByDefault: false,
      ...rest,
    };
    if (!(this.options.popularCacheMs >= 0)) throw new RangeError('popularCacheMs must be >= 0');
    const listCache = { ttlMs: statsCacheMs ?? this.options.popularCacheMs, maxEntries: statsCacheItems ?? STATS_CACHE_ITEMS };
    const neighbourCache = {
      ttlMs: neighbourCacheMs ?? this.options.popularCacheMs,
      maxEntries: neighbourCacheUsers ?? NEIGHBOUR_CACHE_USERS,
    };
    checkShortCache(listCache, { ttlMs: 'statsCacheMs', maxEntries: 'statsCacheItems' });
    checkShortCache(neighbourCache, { ttlMs: 'neighbourCacheMs', maxEntries: 'neighbourCacheUsers' });
    this.lists = new CachedNeighbourLists(deps.stats, listCache);
    this.shoppers = deps.shoppers && new CachedNeighbourSource(deps.shoppers, neighbourCache);
    this.complements = new ComplementFinder({
      stats: this.lists,
      catalog: deps.catalog,
      sessionGapSeconds: options.sessionGapSeconds,
      ...(options.complements ? { options: options.complements } : {}),
    });
    this.affinity = new AffinitySignals((itemId) => this.catalog.get(itemId), {
      maxBoost: this.options.affinityBoost,
      halfLifeSeconds: this.options.affinityHalfLifeSeconds,
    });
    checkSearchTextShare(this.options.searchTextShare);
    checkAffinityBoost(this.options.affinityBoost);
    checkDiversity(this.options.diversity);
    if (!(this.options.campaignShare >= 0 && this.options.campaignShare <= 1))
      throw new RangeError(`campaignShare must be in [0, 1], got ${this.options.campaignShare}`);
    if (!Number.isInteger(this.options.coVisitSeeds) || this.options.coVisitSeeds < 0)
      throw new RangeError('coVisitSeeds must be an integer >= 0');
    if (this.options.coVisitSeedScope !== 'session' && this.options.coVisitSeedScope !== 'history')
      throw new RangeError('coVisitSeedScope must be session or history');
    if (this.options.coVisitRecencyBy !== 'item' && this.options.coVisitRecencyBy !== 'event')
      throw new RangeError('coVisitRecencyBy must be item or event');
    checkRankingTuning(this.options.ranking);
    if (!Number.isInteger(this.options.excludeRecent) || this.options.excludeRecent < 0)
      throw new RangeError('excludeRecent must be an integer >= 0');
    if (this.options.revisits !== 'evidence' && this.options.revisits !== 'hide') throw new RangeError('revisits must be evidence or hide');
  }

  /**
   * The shopper's list: exactly k items whenever at least k items pass the filters (visible to
   * the user's tier, in stock, not bought unless `includeBought`, not among the recent items,
   * in `category` when given), best first. For a `member` in a running campaign's audience, the
   * campaign's items that pass the same filters take up to `campaignShare` of the list.
   * @param now epoch ms: the list's `generatedAt` and the reference for the session window.
   * @param userId the shopper's id: their own entry in the shopper index is not their neighbour.
   */
  async recommend(
    user: UserState,
    asked: RecommendRequest,
    now: number,
    member?: StoredMember,
    userId?: string,
  ): Promise<RecommendationList> {
    const request = asked.includeBought === undefined && this.options.includeBoughtByDefault ? { ...asked, includeBought: true } : asked;
    const k = checkK(request.k ?? this.options.defaultK);
    const scope = request.category === undefined ? undefined : this.catalog.itemsInCategory(request.category);
    const candidateK = Math.max(MIN_CANDIDATES, k * CANDIDATE_FACTOR);
    // One model for the whole request, even if a swap lands while it awaits the aggregates.
    const model = this.models.current();
    const { index } = model;
    // Right after a purchase: its complements join, its substitutes are held back (not in a search or a category the shopper asked for).
    const complements =
      this.sources?.has('complements') === false ? { sources: [] } : await this.complements.find(user, now, index, candidateK);
    const filter = this.filterFor(
      user,
      request,
      scope,
      request.query === undefined && scope === undefined ? complements.heldBack : undefined,
    );

    const taste =
      user.vector && user.vector.length === index.dimension && isUsableVector(user.vector) ? normalized(user.vector) : undefined;
    const queryVector = request.query === undefined ? undefined : model.source.encodeText(request.query);
    const query = queryVector && isUsableVector(queryVector) ? queryVector : undefined;
    // The query's BM25 matches inside the filter (scope, tier, stock, channel), normalised to the best.
    const text =
      request.query === undefined
        ? new Map<string, number>()
        : normalisedMatches(this.catalog.textMatches(request.query, candidateK, filter));
    const searching = query !== undefined || text.size > 0;

    const [coVisited, popular] = await Promise.all([this.coVisitedSources(user, now, candidateK), this.popularPool()]);

    // Taste neighbours (searched with the query blended in, when there is one) and, separately,
    // the query's own neighbours, so an exact match is never crowded out by taste. A source not
    // in use is not searched at all.
    const tasteSearch = taste && query ? blend(taste, query, QUERY_BLEND) : taste;
    const queried = query && this.uses('query') ? this.nearest(index, query, candidateK, filter, scope) : [];
    // The query's text matches join its vector neighbours (relevance set by measure below).
    for (const id of text.keys()) queried.push({ id, similarity: 0 });
    const merged = mergeCandidates(
      this.used({
        vector:
          tasteSearch && this.uses('vector') ? this.nearest(index, tasteSearch, candidateK, filter, scope, this.memos.box(userId)) : [],
        query: queried,
        coVisited: coVisited.map(({ via, items, position }) => ({ via, items: passingEntries(items, filter), position })),
        popular: firstPassing(popular, filter, candidateK),
        neighbours:
          taste && this.shoppers && this.uses('neighbours')
            ? firstPassing(this.shoppers.likedByNeighbours(taste, model.source.version, SHOPPER_NEIGHBOURS, userId), filter, candidateK)
            : [],
        complements: complements.sources.map(({ via, items, weight }) => ({ via, items: passingEntries(items, filter), weight })),
        follows: this.sessionIndex && this.uses('follows') ? this.followingNewest(user, filter, candidateK) : undefined,
        sessions:
          this.sessionIndex && this.uses('sessions')
            ? firstPassing(
                this.sessionIndex.query(latestSession(user.recent, this.options.sessionGapSeconds), { userId, limit: SESSION_ITEMS }),
                filter,
                candidateK,
              )
            : [],
      }),
      this.options.ranking,
    );
    const relevance = searching
      ? (itemId: string) =>
          searchRelevance(text.get(itemId), query && index.similarity(itemId, query), this.options.searchTextShare, text.size > 0)
      : undefined;
    // Searched with the (unit) taste itself, no query blend: the vector candidates carry its cosine already.
    const searchedTaste = taste === undefined || (tasteSearch === taste && Math.abs(norm(taste) - 1) <= UNIT_LENGTH_TOLERANCE);
    this.measure(index, merged.values(), taste, relevance, searchedTaste);

    const reasons = new RecentReasons(user.recent, index);
    let hasNeighbours = false;
    let hasComplements = false;
    let hasSessions = false;
    let hasFollows = false;
    for (const candidate of merged.values()) {
      if (candidate.follows !== undefined) hasFollows = true;
      if (candidate.neighbours !== undefined) hasNeighbours = true;
      if (candidate.complement !== undefined) hasComplements = true;
      if (candidate.sessions !== undefined) hasSessions = true;
    }
    const context: RankingContext = {
      strength: user.strength,
      ...(request.query !== undefined && searching ? { query: request.query } : {}),
      titleOf: (itemId: string) => this.catalog.get(itemId)?.title,
      nearestRecent: (itemId: string) => reasons.nearest(itemId),
      tuning: this.options.ranking,
      neighbours: hasNeighbours,
      complements: hasComplements,
      sessions: hasSessions,
      follows: hasFollows,
      ...this.affinity.forList(user, now, request.category),
    };
    const boosted = member ? this.campaignCandidates(member, user, now, filter, merged) : [];
    this.measure(index, boosted, taste, relevance, searchedTaste);
    const picks = campaignPicks(boosted, campaignSlots(k, this.options.campaignShare), context);
    // Without campaign picks (most lists): no set, and the organic candidates are all of them.
    const picked = picks.length === 0 ? undefined : new Set(picks.map((item) => item.itemId));
    const organic = picked === undefined ? merged.values() : [...merged.values()].filter((candidate) => !picked.has(candidate.itemId));
    // Diversity re-ranks the organic part only: campaign picks are placed by score as before.
    // Reasons are written once the list is cut, for the items shown only.
    const slots = k - picks.length;
    const diversity = request.diversity ?? this.options.diversity;
    const pool = scoreCandidates(organic, diversity > 0 ? slots * DIVERSITY_POOL : slots, context);
    const ranked = withReasons(
      diversify(pool, slots, diversity, (a, b) => index.pairSimilarity(a, b)),
      context,
    );
    if (ranked.length < slots)
      fillList(
        ranked,
        slots,
        (id) => !picked?.has(id) && filter(id),
        scope && { ids: scope, category: request.category },
        () => this.catalog.ids(),
      );
    const organicList = request.query === undefined ? this.withRevisits(ranked, slots, user, request, now, scope, picked, userId) : ranked;

    return {
      items: withCampaignItems(organicList, picks, k),
      generatedAt: now,
      modelVersion: this.options.modelVersion?.() ?? model.source.version,
      context: echo(request),
    };
  }

  /**
   * Items most like `itemId` (content vectors), itself excluded, only ones `tier` may see and in stock.
   * @throws ItemNotFoundError (code `not_found`) for an unknown item or one `tier` may not see.
   */
  similar(itemId: string, k: number, tier: Tier): RecommendationList {
    checkK(k);
    const model = this.models.current();
    const item = this.catalog.get(itemId);
    const vector = item && this.catalog.isVisible(item, tier) ? model.index.get(itemId) : undefined;
    if (!item || !vector) throw new ItemNotFoundError(itemId);
    const neighbours = model.index.search(vector, k, (id) => id !== itemId && this.catalog.isRecommendable(id, tier));
    const reason = `similar to ${item.title}`;
    return {
      items: neighbours.map(({ id, similarity }) => ({ itemId: id, score: Math.round(similarity * 1e6) / 1e6, reason })),
      generatedAt: Date.now(),
      modelVersion: this.options.modelVersion?.() ?? model.source.version,
      context: { k },
    };
  }

  /** The items of the member's boosting campaigns that pass the list's filters, once each (first campaign names it). */
  private campaignCandidates(
    member: StoredMember,
    user: UserState,
    now: number,
    filter: Filter,
    merged: Map<string, Candidate>,
  ): CampaignCandidate[] {
    if (!this.boosts?.active(now)) return [];
    const out = new Map<string, CampaignCandidate>();
    for (const { name, itemIds } of this.boosts.boostsFor(member, user, now)) {
      for (const itemId of itemIds) {
        if (out.has(itemId) || !filter(itemId)) continue;
        out.set(itemId, { ...merged.get(itemId), itemId, campaign: name });
      }
    }
    return [...out.values()];
  }

  /** Whether a member's list may carry campaign items now (callers read the member record only then). */
  boosting(now: number): boolean {
    return this.boosts?.active(now) ?? false;
  }

  /**
   * The fresh ranking with the shopper's own recent items merged in by evidence (logic/revisits.ts).
   * A default list (no category, channel or query) is remembered as the shopper's last fresh
   * ranking, so their next event tells where in it they went. Recent items pass the list's other
   * filters (tier, stock, bought, channel, scope, campaign picks).
   */
  private withRevisits(
    fresh: RecommendedItem[],
    slots: number,
    user: UserState,
    request: RecommendRequest,
    now: number,
    scope: ReadonlySet<string> | undefined,
    picked: ReadonlySet<string> | undefined,
    userId: string | undefined,
  ): RecommendedItem[] {
    const evidence = this.evidence;
    if (!evidence || this.options.revisits !== 'evidence') return fresh;
    if (userId !== undefined && scope === undefined && request.channel === undefined)
      evidence.remember(
        userId,
        fresh.map((item) => item.itemId),
        fresh.map((item) => item.score),
      );
    if (user.recent.length === 0) return fresh;
    const recommendable = this.catalog.recommendableIds(user.tier);
    const channel = request.channel;
    const candidates = revisitCandidates(user.recent, now, this.options.sessionGapSeconds).filter(
      ({ itemId }) =>
        recommendable.has(itemId) &&
        (request.includeBought || !user.bought.has(itemId)) &&
        (scope === undefined || scope.has(itemId)) &&
        (channel === undefined || this.catalog.inChannel(itemId, channel)) &&
        !picked?.has(itemId),
    );
    return candidates.length === 0 ? fresh : mergeRevisits(fresh, candidates, slots, evidence.revisits);
  }

  /** What followed the shopper's newest item in other sessions (sequential rules), inside the filter. */
  private followingNewest(user: UserState, filter: Filter, limit: number): CandidateSources['follows'] {
    const newest = user.recent.find((entry) => !NEGATIVE_TYPES.has(entry.type))?.itemId;
    if (newest === undefined || !this.sessionIndex) return undefined;
    return { after: newest, items: firstPassing(this.sessionIndex.following(newest, SESSION_ITEMS), filter, limit) };
  }

  /** Whether a candidate source is in use (`options.sources`). */
  private uses(name: keyof CandidateSources): boolean {
    return this.sources === undefined || this.sources.has(name);
  }

  /** The sources in use (`options.sources`) of `all`. */
  private used(all: CandidateSources): CandidateSources {
    const sources = this.sources;
    if (!sources) return all;
    return Object.fromEntries(Object.entries(all).filter(([name]) => sources.has(name as keyof CandidateSources))) as CandidateSources;
  }

  /** The list's filter; `heldBack` (substitutes of a just-bought item) is excluded too. */
  private filterFor(user: UserState, request: RecommendRequest, scope: ReadonlySet<string> | undefined, heldBack?: Filter): Filter {
    const excluded = new Set<string>();
    const recent = user.recent;
    for (let i = 0; i < recent.length && i < this.options.excludeRecent; i++) excluded.add(recent[i]!.itemId);
    if (!request.includeBought) for (const id of user.bought) excluded.add(id);
    // Called a few hundred times per list (searches, sampling, every source): two Set reads in the usual case.
    const recommendable = this.catalog.recommendableIds(user.tier);
    const channel = request.channel;
    if (scope === undefined && channel === undefined && heldBack === undefined) return (id) => !excluded.has(id) && recommendable.has(id);
    const catalog = this.catalog;
    return (id) =>
      !excluded.has(id) &&
      (scope === undefined || scope.has(id)) &&
      recommendable.has(id) &&
      (channel === undefined || catalog.inChannel(id, channel)) &&
      !heldBack?.(id);
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
  private async coVisitedSources(
    user: UserState,
    now: number,
    limit: number,
  ): Promise<Array<{ via: string; items: Array<[string, number]>; position: number }>> {
    const sessionStart = this.options.coVisitSeedScope === 'history' ? -Infinity : now - this.options.sessionGapSeconds * 1000;
    const byEvent = this.options.coVisitRecencyBy === 'event';
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

  /**
   * Sets every candidate's similarity to the taste from its stored vector (the search that found
   * it may have used a blend with the query, and other sources carry none) and, with a query, its
   * relevance (BM25 and the query vector's cosine blended, search-relevance.ts). With
   * `searchedTaste` (the taste search used the taste itself), a candidate that already carries a
   * similarity got it from that search, which is exactly `index.similarity(id, taste)` for a unit
   * query (the VectorIndex contract): only the others are measured.
   */
  private measure(
    index: VectorIndex,
    candidates: Iterable<Candidate>,
    taste: Float32Array | undefined,
    relevance: ((itemId: string) => number) | undefined,
    searchedTaste: boolean,
  ): void {
    if (!taste && !relevance) return;
    for (const candidate of candidates) {
      if (taste && !(searchedTaste && candidate.similarity !== undefined))
        candidate.similarity = index.similarity(candidate.itemId, taste) ?? candidate.similarity;
      if (relevance) candidate.queryRelevance = relevance(candidate.itemId);
    }
  }
}

/**
 * The items of the shopper's latest session, newest first, distinct, positive interactions only:
 * the run of recent interactions with no pause longer than the session gap, however long ago it
 * ended (a returning shopper's last visit still says what they were after).
 */
export function latestSession(recent: readonly RecentInteraction[], sessionGapSeconds: number): string[] {
  const out: string[] = [];
  const gap = sessionGapSeconds * 1000;
  let previousTs: number | undefined;
  for (const entry of recent) {
    if (previousTs !== undefined && previousTs - entry.ts > gap) break;
    previousTs = entry.ts;
    if (NEGATIVE_TYPES.has(entry.type) || out.includes(entry.itemId)) continue;
    out.push(entry.itemId);
  }
  return out;
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 100) {
    throw new PulseError(ErrorCodes.invalidRequest, 'k must be an integer in 1..100', { k: String(k) });
  }
  return k;
}

/** normalise((1 - share) * a + share * b) for unit a and b. */
function blend(a: Float32Array, b: Float32Array, share: number): Float32Array {
  const out = new Float32Array(a.length);
  addScaled(out, a, 1 - share);
  addScaled(out, b, share);
  return isUsableVector(out) ? normalized(out) : b;
}

function echo(request: RecommendRequest): NonNullable<RecommendationList['context']> {
  const context: NonNullable<RecommendationList['context']> = {};
  if (request.channel !== undefined) context.channel = request.channel;
  if (request.category !== undefined) context.category = request.category;
  if (request.query !== undefined) context.query = request.query;
  if (request.diversity !== undefined) context.diversity = request.diversity;
  if (request.k !== undefined) context.k = request.k;
  return context;
}
