import { checkSearchTextShare, DEFAULT_SEARCH_TEXT_SHARE } from '../catalog/logic/search-relevance.js';
import { checkShortCache, type ShortCacheOptions } from '../platform/short-cache.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from '../shoppers/logic/affinity.js';
import { checkAffinityBoost } from './logic/affinity-boost.js';
import { checkDiversity } from './logic/diversity.js';
import { checkRankingTuning } from './logic/ranking.js';
import type { RecommenderOptions } from './recommender-options.js';
import { SearchMemos } from './search-memos.js';

/**
 * The Recommender's options as it serves with them (construction time only): every default filled
 * in, every bound checked with a RangeError naming the bad option, the short caches' bounds and the
 * shoppers' search memos derived from them.
 */

/** The options with their defaults; the cache bounds and sources are read once at construction. */
export type RecommenderSettings = Required<
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

/** Recent items (newest first) whose co-visitation lists become candidates. */
const COVISIT_SEEDS = 3;
/** Default bounds of the short caches (RecommenderOptions.statsCacheItems, neighbourCacheUsers). */
const STATS_CACHE_ITEMS = 2000;
const NEIGHBOUR_CACHE_USERS = 2000;
const SEARCH_MEMO_USERS = 20_000;

/** The list size and the session gap: checked before anything is built. */
export function checkListOptions(options: RecommenderOptions): void {
  if (!Number.isInteger(options.defaultK) || options.defaultK < 1 || options.defaultK > 100)
    throw new RangeError(`defaultK must be an integer in 1..100, got ${options.defaultK}`);
  if (!(options.sessionGapSeconds > 0)) throw new RangeError(`sessionGapSeconds must be positive, got ${options.sessionGapSeconds}`);
}

/** The settings with their defaults, the shoppers' search memos and the short caches' bounds (checked). */
export function recommenderSettings(options: RecommenderOptions): {
  settings: RecommenderSettings;
  memos: SearchMemos;
  listCache: ShortCacheOptions;
  neighbourCache: ShortCacheOptions;
} {
  const { statsCacheMs, statsCacheItems, neighbourCacheMs, neighbourCacheUsers, searchMemoUsers, ...rest } = options;
  const memos = new SearchMemos(searchMemoUsers ?? SEARCH_MEMO_USERS);
  const settings: RecommenderSettings = {
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
  if (!(settings.popularCacheMs >= 0)) throw new RangeError('popularCacheMs must be >= 0');
  const listCache = { ttlMs: statsCacheMs ?? settings.popularCacheMs, maxEntries: statsCacheItems ?? STATS_CACHE_ITEMS };
  const neighbourCache = {
    ttlMs: neighbourCacheMs ?? settings.popularCacheMs,
    maxEntries: neighbourCacheUsers ?? NEIGHBOUR_CACHE_USERS,
  };
  checkShortCache(listCache, { ttlMs: 'statsCacheMs', maxEntries: 'statsCacheItems' });
  checkShortCache(neighbourCache, { ttlMs: 'neighbourCacheMs', maxEntries: 'neighbourCacheUsers' });
  return { settings, memos, listCache, neighbourCache };
}

/** The bounds of the ranking, search, campaign and co-visitation settings. */
export function checkSettings(settings: RecommenderSettings): void {
  checkSearchTextShare(settings.searchTextShare);
  checkAffinityBoost(settings.affinityBoost);
  checkDiversity(settings.diversity);
  if (!(settings.campaignShare >= 0 && settings.campaignShare <= 1))
    throw new RangeError(`campaignShare must be in [0, 1], got ${settings.campaignShare}`);
  if (!Number.isInteger(settings.coVisitSeeds) || settings.coVisitSeeds < 0) throw new RangeError('coVisitSeeds must be an integer >= 0');
  if (settings.coVisitSeedScope !== 'session' && settings.coVisitSeedScope !== 'history')
    throw new RangeError('coVisitSeedScope must be session or history');
  if (settings.coVisitRecencyBy !== 'item' && settings.coVisitRecencyBy !== 'event')
    throw new RangeError('coVisitRecencyBy must be item or event');
  checkRankingTuning(settings.ranking);
  if (!Number.isInteger(settings.excludeRecent) || settings.excludeRecent < 0)
    throw new RangeError('excludeRecent must be an integer >= 0');
  if (settings.revisits !== 'evidence' && settings.revisits !== 'hide') throw new RangeError('revisits must be evidence or hide');
}
