import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { RecommendationList, RecommendRequest, Tier } from '../contracts/schemas.js';
import { scoreCandidates, withReasons, type CandidateSources } from './logic/ranking.js';
import { campaignPicks, campaignSlots, withCampaignItems, type CampaignBoostSource } from '../campaigns/logic/campaign-ranking.js';
import { normalisedMatches, searchRelevance } from '../catalog/logic/search-relevance.js';
import { isUsableVector, norm, normalized } from './logic/vector-math.js';
import type { InteractionStats } from './interaction-stats.js';
import type { StoredMember } from '../members/member-store.js';
import type { UserState } from '../shoppers/user-state-store.js';
import { UNIT_LENGTH_TOLERANCE, setFilter, type VectorIndex } from './vector-index.js';
import type { ContentEncoder } from '../../models/content-encoder.js';
import { ItemNotFoundError, type CatalogService } from '../catalog/catalog-service.js';
import { ComplementFinder } from './complement-lists.js';
import { CachedNeighbourLists } from './cached-neighbour-lists.js';
import { fillList } from './list-fill.js';
import type { Filter } from './list-filters.js';
import { CachedNeighbourSource, type ShopperNeighbourSource } from './shopper-index.js';
import { diversify } from './logic/diversity.js';
import { AttributeVectorSource, type ServingModels } from './model-registry.js';
import type { RecommenderOptions } from './recommender-options.js';
import type { ListEvidence } from './list-evidence.js';
import type { SessionIndex } from './logic/session-neighbours.js';
import { checkListOptions, checkSettings, recommenderSettings, type RecommenderSettings } from './recommender-settings.js';
import { ListCandidates } from './list-candidates.js';
import { ServedBlend } from './served-blend.js';
import { RankingContexts } from './ranking-contexts.js';
import { blend, measure, QUERY_BLEND } from './logic/taste-query.js';

export type { CampaignBoost, CampaignBoostSource } from '../campaigns/logic/campaign-ranking.js';
export {
  listEvidenceFrom,
  recommenderOptionsFrom,
  SERVED_RANKING,
  sessionIndexFrom,
  type RecommenderOptions,
} from './recommender-options.js';
export { latestSession } from './list-candidates.js';

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
/** With diversity, MMR picks from this many times the list's length of ranked candidates. */
const DIVERSITY_POOL = 3;
/** The text matches of a list without a query: one shared empty map, not one per list. */
const NO_TEXT_MATCHES: ReadonlyMap<string, number> = new Map();

/**
 * Answers "what should this shopper see now": merges vector neighbours, session co-visitation,
 * popularity and query relevance, applies every business filter to all of them, and ranks with
 * ranking.ts. Stateless apart from short caches of shop-wide reads (popularity, each item's
 * co-visitation and complement lists, each shopper's "shoppers like you", each item's parsed
 * category and brand keys; see the *CacheMs options); receives the user's state, never loads it.
 *
 * Per list, the work is kept to what the list shows: the taste search's cosines are reused rather
 * than measured again, scores are sorted only for the best candidates, and reasons are written
 * only for the items the list keeps. The parts: candidate gathering (list-candidates.ts), the
 * ranking context and its reasons (ranking-contexts.ts), campaigns and re-visits joining the
 * fresh ranking (served-blend.ts), the options (recommender-settings.ts).
 */
export class Recommender {
  private readonly catalog: CatalogService;
  private readonly models: ServingModels;
  private readonly options: RecommenderSettings;
  private readonly complements: ComplementFinder;
  /** Sources in use; undefined: all. */
  private readonly sources: ReadonlySet<keyof CandidateSources> | undefined;
  private readonly candidates: ListCandidates;
  private readonly contexts: RankingContexts;
  private readonly served: ServedBlend;

  constructor(deps: RecommenderDeps) {
    const { options } = deps;
    checkListOptions(options);
    this.catalog = deps.catalog;
    if ('models' in deps) this.models = deps.models;
    else {
      const fixed = { source: new AttributeVectorSource(deps.encoder), index: deps.index };
      this.models = { current: () => fixed };
    }
    this.sources = options.sources ? new Set(options.sources) : undefined;
    const { settings, memos, listCache, neighbourCache } = recommenderSettings(options);
    this.options = settings;
    const lists = new CachedNeighbourLists(deps.stats, listCache);
    const shoppers = deps.shoppers && new CachedNeighbourSource(deps.shoppers, neighbourCache);
    this.complements = new ComplementFinder({
      stats: lists,
      catalog: deps.catalog,
      sessionGapSeconds: options.sessionGapSeconds,
      ...(options.complements ? { options: options.complements } : {}),
    });
    this.contexts = new RankingContexts(deps.catalog, settings);
    checkSettings(settings);
    this.candidates = new ListCandidates({
      catalog: deps.catalog,
      stats: deps.stats,
      lists,
      shoppers,
      sessions: deps.sessions,
      sources: this.sources,
      memos,
      settings,
    });
    this.served = new ServedBlend(deps.catalog, deps.boosts, deps.evidence, settings);
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
    const text: ReadonlyMap<string, number> =
      request.query === undefined ? NO_TEXT_MATCHES : normalisedMatches(this.catalog.textMatches(request.query, candidateK, filter));
    const searching = query !== undefined || text.size > 0;

    const [coVisited, popular] = await this.candidates.shopWide(user, now, candidateK);

    // Taste neighbours are searched with the query blended in, when there is one.
    const tasteSearch = taste && query ? blend(taste, query, QUERY_BLEND) : taste;
    const merged = this.candidates.gather(
      user,
      model,
      filter,
      scope,
      candidateK,
      taste,
      tasteSearch,
      query,
      text,
      coVisited,
      popular,
      complements,
      userId,
    );
    const relevance = searching
      ? (itemId: string) =>
          searchRelevance(text.get(itemId), query && index.similarity(itemId, query), this.options.searchTextShare, text.size > 0)
      : undefined;
    // Searched with the (unit) taste itself, no query blend: the vector candidates carry its cosine already.
    const searchedTaste = taste === undefined || (tasteSearch === taste && Math.abs(norm(taste) - 1) <= UNIT_LENGTH_TOLERANCE);
    measure(index, merged, taste, relevance, searchedTaste);

    const context = this.contexts.forList(merged, user, request, searching, now, index);
    const boosted = member ? this.served.campaignCandidates(member, user, now, filter, merged) : [];
    measure(index, boosted, taste, relevance, searchedTaste);
    const picks = campaignPicks(boosted, campaignSlots(k, this.options.campaignShare), context);
    // Without campaign picks (most lists): no set, and the organic candidates are all of them.
    const picked = picks.length === 0 ? undefined : new Set(picks.map((item) => item.itemId));
    const organic = picked === undefined ? merged : [...merged.values()].filter((candidate) => !picked.has(candidate.itemId));
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
    const organicList =
      request.query === undefined ? this.served.withRevisits(ranked, slots, user, request, now, scope, picked, userId) : ranked;

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

  /** Whether a member's list may carry campaign items now (callers read the member record only then). */
  boosting(now: number): boolean {
    return this.served.boosting(now);
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
    // A set filter (vector-index.ts): the vector index answers it by slot, without calling it.
    if (scope === undefined && channel === undefined && heldBack === undefined)
      return setFilter({ allowed: recommendable, allowedVersion: this.catalog.version, excluded });
    const catalog = this.catalog;
    return (id) =>
      !excluded.has(id) &&
      (scope === undefined || scope.has(id)) &&
      recommendable.has(id) &&
      (channel === undefined || catalog.inChannel(id, channel)) &&
      !heldBack?.(id);
  }
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 100) {
    throw new PulseError(ErrorCodes.invalidRequest, 'k must be an integer in 1..100', { k: String(k) });
  }
  return k;
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
