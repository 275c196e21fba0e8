import { env } from './contracts/env.js';
import { DEFAULT_AFFINITY_BOOST } from './recommend/logic/affinity-boost.js';
import { DEFAULT_DIVERSITY } from './recommend/logic/diversity.js';
import { DEFAULT_SEARCH_TEXT_SHARE } from './catalog/logic/search-relevance.js';
import { UNCHANGED_COSINE } from './recommend/shopper-index.js';

/** The engine's variables for what a list holds and the caches behind it (part of engineConfigSpec, config.ts). */
export const rankingConfigSpec = {
  searchTextShare: env.number(
    'SEARCH_TEXT_SHARE',
    DEFAULT_SEARCH_TEXT_SHARE,
    "Share of the BM25 text match in a search query's relevance (0..1); the query vector's cosine has the rest.",
    0,
    1,
  ),
  affinityBoost: env.number(
    'AFFINITY_BOOST',
    DEFAULT_AFFINITY_BOOST,
    'Largest ranking boost from brand and category affinity (0..1; 0.15 = up to +15% of the score).',
    0,
    1,
  ),
  diversity: env.number(
    'DIVERSITY',
    DEFAULT_DIVERSITY,
    'Diversity of lists that ask for none: MMR with lambda = 1 - DIVERSITY (0 = ranking order, 0.2 = mostly relevance, 1 = avoid look-alikes most).',
    0,
    1,
  ),
  sessionIndexLimit: env.int(
    'SESSION_INDEX_LIMIT',
    50_000,
    'Recent sessions an engine keeps in memory for "sessions like yours" (the newest of the shoppers it serves; ~0.1 KB per session item); 0 = off.',
    0,
    10_000_000,
  ),
  revisitMaxShare: env.number(
    'REVISIT_MAX_SHARE',
    0.5,
    "Largest share of a list the shopper's own recent items may take when the shop's stream shows they come back more often than the fresh item they would displace (re-visits by evidence). 0 = never list them (the last 20 seen stay hidden).",
    0,
    1,
  ),
  revisitMinEvidence: env.int(
    'REVISIT_MIN_EVIDENCE',
    50,
    'Observed next events each compared re-visit rate needs before recent items may come back.',
    1,
    1_000_000,
  ),
  listBoughtItems: env.bool(
    'LIST_BOUGHT_ITEMS',
    false,
    'Whether items a shopper bought may be listed when the request does not say (`includeBought`): on for shops where customers re-order (groceries, supplies, wholesale).',
  ),
  shopperIndexLimit: env.int(
    'SHOPPER_INDEX_LIMIT',
    100_000,
    'Shopper vectors an engine keeps in memory for "shoppers like you" (least recently updated evicted); 0 = off.',
    0,
    10_000_000,
  ),
  shopperIndexIntervalMs: env.int(
    'SHOPPER_INDEX_INTERVAL_MS',
    10_000,
    'A shopper\'s vector and newest items join the "shoppers like you" index at most once per this many ms (later states wait, the newest wins): other shoppers see them up to ~1.25x this late. 0 = after every batch.',
    0,
    600_000,
  ),
  shopperIndexBacklogIntervalMs: env.int(
    'SHOPPER_INDEX_BACKLOG_INTERVAL_MS',
    120_000,
    'The same for a shopper whose events in a batch are all history (accepted or made over a minute ago: an import of past events, a replay), and their first state waits too: one update per shopper per this many ms of an import. 0 = after every batch.',
    0,
    3_600_000,
  ),
  shopperIndexKeepCosine: env.number(
    'SHOPPER_INDEX_KEEP_COSINE',
    UNCHANGED_COSINE,
    "A shopper's stored vector at least this close (cosine) to their new one is kept rather than re-inserted into the shopper index (an HNSW update). 1 = re-insert whenever it moved.",
    0.5,
    1,
  ),
  neighbourCacheMs: env.int(
    'NEIGHBOUR_CACHE_MS',
    5000,
    'How long a shopper\'s "shoppers like you" items are reused (ms) while their vector stays within cosine 0.98 of the one they were found for. 0 = search the shopper index for every list.',
    0,
    60_000,
  ),
  neighbourCacheUsers: env.int(
    'NEIGHBOUR_CACHE_USERS',
    5000,
    'Shoppers whose "shoppers like you" items that cache holds at most (~8 KB each: up to 100 items); only answers found within NEIGHBOUR_CACHE_MS stay in memory.',
    1,
    1_000_000,
  ),
  statsCacheMs: env.int(
    'STATS_CACHE_MS',
    5000,
    "How long an item's shop-wide co-visitation, co-purchase and bought-after lists are reused (ms). 0 = read from Redis for every list.",
    0,
    60_000,
  ),
  statsCacheItems: env.int(
    'STATS_CACHE_ITEMS',
    5000,
    'Items whose lists of each kind that cache holds at most (~7 KB a list of 60); only lists read within STATS_CACHE_MS stay in memory.',
    1,
    1_000_000,
  ),
  campaignShare: env.number(
    'CAMPAIGN_SHARE',
    0.2,
    "Largest share of a member's list that running campaigns' items may take (0..1; 0.2 = 2 of 10).",
    0,
    1,
  ),
};
