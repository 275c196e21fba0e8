import { ConfigError, env, parseConfig, type ConfigOf } from './contracts/env.js';
import { sharedConfigSpec } from './contracts/shared-config.js';
import { loyaltyConfigSpec } from './members/config-loyalty.js';
import { rankingConfigSpec } from './config-ranking.js';
import { requestsConfigSpec } from './config-requests.js';
import { signalsConfigSpec } from './config-signals.js';
import { parseRewardCatalogue } from './members/logic/coupons.js';
import type { SegmentThresholds } from './shoppers/logic/segments.js';
import type { RpcAdmissionOptions } from './platform/rpc.js';

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
  ...signalsConfigSpec,
  userCacheSize: env.int(
    'USER_STATE_CACHE',
    20_000,
    "User states an engine keeps in memory after storing them (LRU; ~5-10 KB each), so a shopper's next events skip the Redis read. Safe with several engines: a stale entry fails the store's version check and is read again. 0 = off.",
    0,
    10_000_000,
  ),
  defaultK: env.int('RECOMMEND_K', 10, 'Length of pushed lists.', 1, 100),
  hnswM: env.int('HNSW_M', 16, 'HNSW graph degree.', 4, 128),
  hnswEfConstruction: env.int(
    'HNSW_EF_CONSTRUCTION',
    100,
    "HNSW build breadth: every item insert (catalog upsert, model load, an engine's start) costs about this many distance computations per graph layer.",
    10,
    2000,
  ),
  hnswEf: env.int('HNSW_EF', 64, 'HNSW query breadth (set again after every load: hnswlib resets it).', 10, 2000),
  ...loyaltyConfigSpec,
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
  ...rankingConfigSpec,
  demoCatalog: env.bool('DEMO_CATALOG', true, 'Load the demo catalog when the catalog is empty at start.'),
  ...requestsConfigSpec,
  redisEphemeralOk: env.bool(
    'REDIS_EPHEMERAL_OK',
    false,
    'Start even when Redis keeps nothing on disk (appendonly no and no `save` schedule) or its settings cannot be read (CONFIG refused): a Redis restart then loses member accounts, points and coupons. Logged as a warning, shown on /readyz and in pulse_engine_redis_ephemeral_accepted. Embedded mode needs no such consent.',
  ),
};

export type EngineConfig = ConfigOf<typeof engineConfigSpec>;

/** The engine's configuration; every problem at once in one ConfigError (`VARIABLE: what is wrong` each). */
export function loadEngineConfig(source: NodeJS.ProcessEnv = process.env): EngineConfig {
  // Checks across fields, all reported at once with the bad values (run on defaults for those).
  const { config, problems } = parseConfig(engineConfigSpec, source);
  if (config.tierEnterprisePoints <= config.tierVipPoints) {
    problems.push(`TIER_ENTERPRISE_POINTS: ${config.tierEnterprisePoints} must be above TIER_VIP_POINTS (${config.tierVipPoints})`);
  }
  if (config.segmentLapsingMinDays >= config.segmentLapsingMaxDays) {
    problems.push(
      `SEGMENT_LAPSING_MIN_DAYS: ${config.segmentLapsingMinDays} must be below SEGMENT_LAPSING_MAX_DAYS (${config.segmentLapsingMaxDays})`,
    );
  }
  try {
    parseRewardCatalogue(config.rewards);
  } catch (err) {
    // One line that starts with the variable, like every other problem.
    problems.push(`REWARDS: ${(err as Error).message.replace(/^REWARDS:?\s*/, '')}`);
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

/** The request admission limits of an engine's configuration (engine/platform/rpc.ts). */
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
