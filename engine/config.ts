import { availableParallelism } from 'node:os';
import { ConfigError, env, loadConfig, type ConfigOf } from './contracts/env.js';
import { sharedConfigSpec } from './contracts/shared-config.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from './logic/affinity.js';
import { DEFAULT_AFFINITY_BOOST } from './logic/affinity-boost.js';
import { DEFAULT_DIVERSITY } from './logic/diversity.js';
import { DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS } from './logic/complements.js';
import { DEFAULT_REWARDS, parseRewardCatalogue } from './logic/coupons.js';
import { DEFAULT_SEARCH_TEXT_SHARE } from './logic/search-relevance.js';
import { DEFAULT_SEGMENT_THRESHOLDS, type SegmentThresholds } from './logic/segments.js';
import { DEFAULT_RPC_ADMISSION, type RpcAdmissionOptions } from './ports/rpc.js';
import { UNCHANGED_COSINE } from './services/shopper-index.js';

/** The variables every role reads (engine/contracts/shared-config.ts), re-exported for the engine's own callers. */
export { sharedConfigSpec, type SharedConfig } from './contracts/shared-config.js';

export const engineConfigSpec = {
  ...sharedConfigSpec,
  engineId: env.optionalString('ENGINE_ID', 'Name of this engine in leases and logs. Unset: hostname-pid-random.'),
  enginePort: env.int(
    'ENGINE_PORT',
    8081,
    'HTTP port of a standalone engine (`npm run engine`): /healthz, /readyz, /metrics. 0 = off.',
    0,
    65535,
  ),
  vectorDim: env.int('VECTOR_DIM', 64, 'Dimension of item and user vectors until a learned model sets it.', 8, 1024),
  leaseMs: env.int('PARTITION_LEASE_MS', 10_000, "Partition lease time (ms); a dead engine's partitions move after this.", 500, 600_000),
  ackWaitMs: env.int('ACK_WAIT_MS', 10_000, 'JetStream ack wait (ms): an unacked event is redelivered after this.', 500, 600_000),
  batchSize: env.int('CONSUME_BATCH', 256, 'Events fetched per partition per pull.', 1, 10_000),
  maxDeliveries: env.int(
    'MAX_DELIVERIES',
    5,
    'Deliveries of an event that keeps failing for a reason that is not transient (not unavailable/timeout) before it goes to the DEADLETTERS stream (admin: /v1/admin/dead-letters); earlier failures are retried with a backoff.',
    1,
    100,
  ),
  dedupeTtlSeconds: env.int('DEDUPE_TTL_SECONDS', 7 * 24 * 3600, 'How long an applied event id is remembered (s).', 60),
  recentLimit: env.int('RECENT_LIMIT', 50, 'Recent interactions kept per user.', 5, 1000),
  tasteHalfLifeSeconds: env.number(
    'TASTE_HALF_LIFE_SECONDS',
    6 * 3600,
    "Half-life of a user vector's past (s): older interactions weigh less.",
    1,
  ),
  popularityHalfLifeSeconds: env.number('POPULARITY_HALF_LIFE_SECONDS', 7 * 24 * 3600, 'Half-life of item popularity (s).', 60),
  sessionGapSeconds: env.int(
    'SESSION_GAP_SECONDS',
    1800,
    'Two interactions closer than this count as one session for co-visitation (s).',
    1,
  ),
  boughtAfterWindowSeconds: env.int(
    'BOUGHT_AFTER_WINDOW_SECONDS',
    DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS,
    'A purchase this long (s) or less after an earlier one by the same shopper counts as bought after it (complements).',
    60,
    3650 * 24 * 3600,
  ),
  affinityHalfLifeSeconds: env.number(
    'AFFINITY_HALF_LIFE_SECONDS',
    DEFAULT_AFFINITY_HALF_LIFE_SECONDS,
    "Half-life of a shopper's brand and category affinity (s). All engines must use the same value.",
    60,
  ),
  segmentNewDays: env.int(
    'SEGMENT_NEW_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.newDays,
    'Segment `new`: member created (or first seen) less than this many days ago.',
    1,
    3650,
  ),
  segmentActiveDays: env.int(
    'SEGMENT_ACTIVE_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.activeDays,
    'Segment `active`: an event within this many days.',
    1,
    3650,
  ),
  segmentLapsingMinDays: env.int(
    'SEGMENT_LAPSING_MIN_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.lapsingMinDays,
    'Segment `lapsing`: last purchase at least this many days ago (below SEGMENT_LAPSING_MAX_DAYS).',
    1,
    3650,
  ),
  segmentLapsingMaxDays: env.int(
    'SEGMENT_LAPSING_MAX_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.lapsingMaxDays,
    'Segment `lapsing`: last purchase at most this many days ago.',
    1,
    3650,
  ),
  segmentBigSpender: env.number(
    'SEGMENT_BIG_SPENDER',
    DEFAULT_SEGMENT_THRESHOLDS.bigSpender,
    'Segment `big_spender`: net spend (orders minus cancellations, currency units) at least this.',
    0,
  ),
  segmentBrandLoyalShare: env.number(
    'SEGMENT_BRAND_LOYAL_SHARE',
    DEFAULT_SEGMENT_THRESHOLDS.brandLoyalShare,
    'Segment `brand_loyal:<brand>`: share of the positive brand affinity one brand holds at least (0..1].',
    0.01,
    1,
  ),
  segmentBrandLoyalMinEvents: env.int(
    'SEGMENT_BRAND_LOYAL_MIN_EVENTS',
    DEFAULT_SEGMENT_THRESHOLDS.brandLoyalMinEvents,
    'Segment `brand_loyal:<brand>`: events with that brand at least.',
    1,
    1_000_000,
  ),
  userCacheSize: env.int(
    'USER_STATE_CACHE',
    20_000,
    "User states an engine keeps in memory after storing them (LRU; ~5-10 KB each), so a shopper's next events skip the Redis read. Safe with several engines: a stale entry fails the store's version check and is read again. 0 = off.",
    0,
    10_000_000,
  ),
  defaultK: env.int('RECOMMEND_K', 10, 'Length of pushed lists.', 1, 100),
  hnswM: env.int('HNSW_M', 16, 'HNSW graph degree.', 4, 128),
  hnswEfConstruction: env.int('HNSW_EF_CONSTRUCTION', 200, 'HNSW build breadth.', 10, 2000),
  hnswEf: env.int('HNSW_EF', 64, 'HNSW query breadth (set again after every load: hnswlib resets it).', 10, 2000),
  tierVipPoints: env.int('TIER_VIP_POINTS', 1000, 'Lifetime points at which a member becomes VIP.', 1),
  tierEnterprisePoints: env.int(
    'TIER_ENTERPRISE_POINTS',
    10_000,
    'Lifetime points at which a member becomes enterprise (above TIER_VIP_POINTS).',
    1,
  ),
  pointsPerCurrencyRegular: env.number('POINTS_PER_CURRENCY_REGULAR', 1, 'Points a regular member earns per currency unit spent.', 0, 1000),
  pointsPerCurrencyVip: env.number('POINTS_PER_CURRENCY_VIP', 1.5, 'Points a VIP member earns per currency unit spent.', 0, 1000),
  pointsPerCurrencyEnterprise: env.number(
    'POINTS_PER_CURRENCY_ENTERPRISE',
    2,
    'Points an enterprise member earns per currency unit spent.',
    0,
    1000,
  ),
  orderPriceTolerance: env.number(
    'ORDER_PRICE_TOLERANCE',
    0.05,
    "How far a paid order line's unit price may differ from the catalog price, as a share of it (0.05 = 5%); beyond it `POST /v1/orders` answers 422 price_mismatch.",
    0,
    10,
  ),
  rewards: env.string(
    'REWARDS',
    DEFAULT_REWARDS,
    'Reward catalogue (JSON array of {rewardId, points, value, ttlDays}): points buy a value coupon.',
  ),
  campaignReloadMs: env.int(
    'CAMPAIGN_RELOAD_MS',
    2000,
    'How often every engine reloads the campaigns from Redis (ms), besides on each change announced on NATS.',
    100,
    600_000,
  ),
  cartTimerPollMs: env.int(
    'CART_TIMER_POLL_MS',
    250,
    'How often an engine checks the due cart_abandoned timers of the partitions it owns (ms).',
    10,
    60_000,
  ),
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
  demoCatalog: env.bool('DEMO_CATALOG', true, 'Load the demo catalog when the catalog is empty at start.'),
  rpcQueueLimit: env.int(
    'RPC_QUEUE_LIMIT',
    DEFAULT_RPC_ADMISSION.queueLimit,
    "Requests (recommend, catalog, members...) waiting for a handler at once, over all users; beyond it the busiest user's newest is answered `unavailable` (503) at once.",
    1,
    1_000_000,
  ),
  rpcUserQueueLimit: env.int(
    'RPC_USER_QUEUE_LIMIT',
    DEFAULT_RPC_ADMISSION.userQueueLimit,
    'Requests one user (else one method) may have waiting; beyond it `unavailable` (503) at once. Waiting users are served round-robin.',
    1,
    1_000_000,
  ),
  rpcConcurrency: env.int(
    'RPC_CONCURRENCY',
    DEFAULT_RPC_ADMISSION.concurrency,
    'Request handlers one engine runs at once (password hashing not counted).',
    1,
    10_000,
  ),
  rpcPasswordConcurrency: env.int(
    'RPC_PASSWORD_CONCURRENCY',
    DEFAULT_RPC_ADMISSION.passwordConcurrency,
    'members.register / members.login handlers run at once (scrypt: 32 MiB and 100-500 ms of a libuv thread each).',
    1,
    64,
  ),
  passwordWorkers: env.int(
    'PASSWORD_WORKERS',
    Math.min(4, Math.max(2, availableParallelism() - 1)),
    "Worker threads hashing and checking passwords (scrypt: 32 MiB and ~50-500 ms of a core each), off the engine's loop. Default: cores - 1, 2 to 4.",
    1,
    64,
  ),
  passwordQueueLimit: env.int(
    'PASSWORD_QUEUE_LIMIT',
    64,
    "Password hashes and checks waiting for a worker at once; beyond it, or when the wait would outlast the caller's deadline, `unavailable` (503) with Retry-After at once.",
    1,
    100_000,
  ),
  passwordClientQueueLimit: env.int(
    'PASSWORD_CLIENT_QUEUE_LIMIT',
    8,
    'Password hashes and checks one client (IP as the gateway saw it) may have waiting; beyond it `rate_limited` (429) with Retry-After. Clients are served in turn.',
    1,
    100_000,
  ),
  loginFailuresPerEmail: env.int(
    'LOGIN_FAILURES_PER_EMAIL',
    10,
    'Wrong passwords one email may take per LOGIN_FAILURE_WINDOW_SECONDS (per engine); then its logins are `rate_limited` (429) until the window ends.',
    1,
    1_000_000,
  ),
  loginFailureWindowSeconds: env.int('LOGIN_FAILURE_WINDOW_SECONDS', 300, 'Window of LOGIN_FAILURES_PER_EMAIL (s).', 1, 86_400),
  registrationRetrySeconds: env.int(
    'REGISTRATION_RETRY_SECONDS',
    600,
    'A registration repeated with the same email and password this long (s) after the account was created answers 201 with the same member, as the first did (a retry after a lost answer); 0 = 409 email_taken.',
    0,
    86_400,
  ),
  redisEphemeralOk: env.bool(
    'REDIS_EPHEMERAL_OK',
    false,
    'Start even when Redis keeps nothing on disk (appendonly no and no `save` schedule) or its settings cannot be read (CONFIG refused): a Redis restart then loses member accounts, points and coupons. Logged as a warning, shown on /readyz and in pulse_engine_redis_ephemeral_accepted. Embedded mode needs no such consent.',
  ),
};

export type EngineConfig = ConfigOf<typeof engineConfigSpec>;

export function loadEngineConfig(source: NodeJS.ProcessEnv = process.env): EngineConfig {
  const config = loadConfig(engineConfigSpec, source);
  // Checks across fields, all reported at once.
  const problems: string[] = [];
  if (config.tierEnterprisePoints <= config.tierVipPoints) {
    problems.push(`TIER_ENTERPRISE_POINTS (${config.tierEnterprisePoints}) must be above TIER_VIP_POINTS (${config.tierVipPoints})`);
  }
  if (config.segmentLapsingMinDays >= config.segmentLapsingMaxDays) {
    problems.push(
      `SEGMENT_LAPSING_MIN_DAYS (${config.segmentLapsingMinDays}) must be below SEGMENT_LAPSING_MAX_DAYS (${config.segmentLapsingMaxDays})`,
    );
  }
  try {
    parseRewardCatalogue(config.rewards);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The segment thresholds of an engine's configuration (logic/segments.ts). */
export function segmentThresholds(config: EngineConfig): SegmentThresholds {
  return {
    newDays: config.segmentNewDays,
    activeDays: config.segmentActiveDays,
    lapsingMinDays: config.segmentLapsingMinDays,
    lapsingMaxDays: config.segmentLapsingMaxDays,
    bigSpender: config.segmentBigSpender,
    brandLoyalShare: config.segmentBrandLoyalShare,
    brandLoyalMinEvents: config.segmentBrandLoyalMinEvents,
  };
}

/** The request admission limits of an engine's configuration (ports/rpc.ts). */
export function rpcAdmission(config: EngineConfig): RpcAdmissionOptions {
  return {
    queueLimit: config.rpcQueueLimit,
    userQueueLimit: config.rpcUserQueueLimit,
    concurrency: config.rpcConcurrency,
    passwordConcurrency: config.rpcPasswordConcurrency,
  };
}

/**
 * The reuse of the shop-wide, slowly moving reads behind a list (RecommenderOptions): an item's
 * co-visitation, co-purchase and bought-after lists (a Redis read and its decoding per miss) and
 * a shopper's "shoppers like you" items (a shopper-index search per miss), each up to its TTL
 * old. The shopper's own recent actions still count at once: they come from their state.
 */
export function shopSignalCaches(config: EngineConfig): {
  statsCacheMs: number;
  statsCacheItems: number;
  neighbourCacheMs: number;
  neighbourCacheUsers: number;
} {
  return {
    statsCacheMs: config.statsCacheMs,
    statsCacheItems: config.statsCacheItems,
    neighbourCacheMs: config.neighbourCacheMs,
    neighbourCacheUsers: config.neighbourCacheUsers,
  };
}
