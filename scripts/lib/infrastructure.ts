import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SharedConfig } from '../../engine/config.js';
import { NatsTransport, redactUrl } from '../../engine/platform/mod.js';
import { MemoryTransport } from '../../engine/platform/mod.js';
import { RedisUserStateStore } from '../../engine/shoppers/mod.js';
import { RedisCouponStore } from '../../engine/members/mod.js';
import { MemoryCouponStore } from '../../engine/members/mod.js';
import type { CouponStore } from '../../engine/members/mod.js';
import { RedisCampaignStore } from '../../engine/campaigns/mod.js';
import { MemoryCampaignStore } from '../../engine/campaigns/mod.js';
import type { CampaignStore } from '../../engine/campaigns/mod.js';
import { RedisInteractionStats } from '../../engine/recommend/mod.js';
import { RedisPartitionLeases } from '../../engine/stream/mod.js';
import { MemoryUserStateStore } from '../../engine/shoppers/mod.js';
import { MemoryInteractionStats } from '../../engine/recommend/mod.js';
import { MemoryPartitionLeases } from '../../engine/stream/mod.js';
import type { UserStateStore } from '../../engine/shoppers/mod.js';
import type { MemberStore } from '../../engine/members/mod.js';
import { RedisMemberStore } from '../../engine/members/mod.js';
import { MemoryMemberStore } from '../../engine/members/mod.js';
import type { InteractionStats } from '../../engine/recommend/mod.js';
import type { PartitionLeases } from '../../engine/stream/mod.js';
import type { ShopAnalytics } from '../../engine/analytics/mod.js';
import { RedisShopAnalytics } from '../../engine/analytics/mod.js';
import { MemoryShopAnalytics } from '../../engine/analytics/mod.js';
import {
  PersistenceRefusedError,
  RedisPersistenceGuard,
  heldWrites,
  type PersistenceVerdict,
  type WriteCoalescer,
} from '../../engine/platform/mod.js';

export type Mode = 'connected' | 'embedded';

export interface StateOptions {
  recentLimit: number;
  dedupeTtlSeconds: number;
  popularityHalfLifeSeconds: number;
  /** Run on a Redis that keeps nothing on disk (REDIS_EPHEMERAL_OK); otherwise connecting to one fails. */
  redisEphemeralOk?: boolean;
}

export interface Infrastructure {
  transport: NatsTransport | MemoryTransport;
  /** Present when the role keeps state (engine, or both roles in one process). */
  state?: {
    users: UserStateStore;
    stats: InteractionStats;
    leases: PartitionLeases;
    members: MemberStore;
    coupons: CouponStore;
    campaigns: CampaignStore;
    analytics: ShopAnalytics;
    /** The Redis connection's write coalescing for the event path (absent in embedded mode). */
    coalesceWrites?: WriteCoalescer;
  };
  mode: { nats: Mode; redis?: Mode };
  /** How the connected Redis keeps data on disk (absent in embedded mode and without state). */
  persistence?: () => PersistenceVerdict | undefined;
  /** Live checks for /readyz. */
  checks(): Record<string, { ok: boolean; detail: string }>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  logger: Logger;
  name: string;
  /** Fall back to in-process fakes when a server is unreachable and its URL was not set explicitly. */
  allowEmbedded: boolean;
  /** Also connect the state store (Redis). */
  state?: StateOptions;
  ackWaitMs: number;
}

const CONNECT_TIMEOUT_MS = 1500;

/**
 * Connects a role to NATS and (optionally) Redis. In embedded mode (`npm start` on a laptop with
 * neither server) an unreachable server whose URL was left at its default is replaced by the
 * in-process fake of the same ports, and the log and /readyz say so.
 */
export async function connectInfrastructure(config: SharedConfig, options: ConnectOptions): Promise<Infrastructure> {
  const { logger } = options;
  const cleanups: Array<() => Promise<void>> = [];
  const mayEmbed = (envName: string) => options.allowEmbedded && !config.explicit.has(envName);

  let transport: NatsTransport | MemoryTransport;
  let natsMode: Mode = 'connected';
  try {
    transport = await NatsTransport.connect({
      url: config.natsUrl,
      partitions: config.partitions,
      ackWaitMs: options.ackWaitMs,
      logger,
      name: options.name,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    logger.info({ url: config.natsUrl }, 'connected to NATS JetStream');
  } catch (err) {
    if (!mayEmbed('NATS_URL')) throw new Error(`cannot reach NATS at ${redactUrl(config.natsUrl)}: ${rootReason(err)}`, { cause: err });
    logger.warn(
      { url: config.natsUrl, reason: (err as Error).message },
      'NATS unreachable: running on the in-process event log (embedded mode, nothing survives a restart)',
    );
    transport = new MemoryTransport({ partitions: config.partitions, ackWaitMs: options.ackWaitMs, logger });
    natsMode = 'embedded';
  }
  cleanups.push(() => transport.close());

  let state: Infrastructure['state'];
  let redisMode: Mode | undefined;
  let redis: Redis | undefined;
  let guard: RedisPersistenceGuard | undefined;
  if (options.state) {
    const { recentLimit, dedupeTtlSeconds, popularityHalfLifeSeconds } = options.state;
    try {
      redis = await connectRedis(config.redisUrl, logger);
      // Before anything is written: an engine must not accept work on a Redis that keeps nothing.
      const connected = redis;
      guard = new RedisPersistenceGuard(connected, {
        ephemeralOk: options.state.redisEphemeralOk === true,
        where: redactUrl(config.redisUrl),
        logger,
      });
      try {
        await guard.verify();
      } catch (err) {
        connected.disconnect();
        throw err;
      }
      guard.watch();
      const leaseClient = redis.duplicate({ enableAutoPipelining: false });
      leaseClient.on('error', () => undefined); // the main connection logs outages
      redisMode = 'connected';
      logger.info({ url: config.redisUrl }, 'connected to Redis');
      state = {
        users: new RedisUserStateStore(redis, { recentLimit, dedupeTtlSeconds }),
        stats: new RedisInteractionStats(redis, { popularityHalfLifeSeconds, dedupeTtlSeconds }),
        // Leases on their own connection: a renewal must not queue behind a burst of event writes.
        leases: new RedisPartitionLeases(leaseClient),
        members: new RedisMemberStore(redis),
        coupons: new RedisCouponStore(redis),
        campaigns: new RedisCampaignStore(redis, { logger: logger.child({ component: 'campaign-store' }) }),
        analytics: new RedisShopAnalytics(redis, { dedupeTtlSeconds }),
        coalesceWrites: heldWrites(redis),
      };
      // Each store defined the Lua scripts on its client (engine/platform/redis/redis-scripts.ts): a
      // script's first call on a connection is an EVAL, so nothing needs loading up front.
      const client = redis;
      cleanups.push(async () => void (await client.quit().catch(() => client.disconnect())));
      cleanups.push(async () => void (await leaseClient.quit().catch(() => leaseClient.disconnect())));
    } catch (err) {
      // A reachable Redis refused for its settings is never replaced by the in-process fake.
      if (err instanceof PersistenceRefusedError) {
        await Promise.allSettled(cleanups.map((c) => c()));
        throw err;
      }
      if (!mayEmbed('REDIS_URL')) {
        await Promise.allSettled(cleanups.map((c) => c()));
        throw new Error(`cannot reach Redis at ${redactUrl(config.redisUrl)}: ${rootReason(err)}`, { cause: err });
      }
      logger.warn(
        { url: config.redisUrl, reason: (err as Error).message },
        'Redis unreachable: keeping user state in process memory (embedded mode, nothing survives a restart)',
      );
      redisMode = 'embedded';
      const members = new MemoryMemberStore();
      state = {
        users: new MemoryUserStateStore({ recentLimit, dedupeTtlSeconds }),
        stats: new MemoryInteractionStats({ popularityHalfLifeSeconds }),
        leases: new MemoryPartitionLeases(),
        members,
        coupons: new MemoryCouponStore(members),
        campaigns: new MemoryCampaignStore(),
        analytics: new MemoryShopAnalytics({ dedupeTtlSeconds }),
      };
    }
  }

  let closing: Promise<void> | undefined;
  const persistence = guard;
  // /readyz is unauthenticated: URLs there never carry a password.
  const natsWhere = redactUrl(config.natsUrl);
  const redisWhere = redactUrl(config.redisUrl);
  return {
    transport,
    ...(state ? { state } : {}),
    mode: { nats: natsMode, ...(redisMode ? { redis: redisMode } : {}) },
    ...(persistence ? { persistence: () => persistence.verdict } : {}),
    checks() {
      const checks: Record<string, { ok: boolean; detail: string }> = {
        nats: {
          ok: transport.isConnected(),
          detail:
            natsMode === 'embedded' ? 'embedded (in-process fake)' : transport.isConnected() ? `connected ${natsWhere}` : 'disconnected',
        },
      };
      if (redisMode) {
        const ok = redisMode === 'embedded' || redis?.status === 'ready';
        checks.redis = { ok, detail: redisMode === 'embedded' ? 'embedded (in-process fake)' : `${redis?.status} ${redisWhere}` };
        checks.persistence = persistence
          ? persistence.check()
          : { ok: true, detail: 'embedded (in-process fake): nothing survives a restart' };
      }
      return checks;
    },
    close() {
      // Every step runs even when one fails; state first, then the transport.
      closing ??= (async () => {
        for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => logger.warn({ err }, 'cleanup failed'));
      })();
      return closing;
    },
  };
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
  });
  let lastError: Error | undefined;
  let connected = false;
  let down = false;
  // ioredis reconnects by itself; say so once per outage instead of once per retry.
  redis.on('error', (err: Error) => {
    lastError = err;
    if (connected && !down) logger.warn({ err: err.message }, 'Redis connection lost; reconnecting');
    if (connected) down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis connection restored');
    down = false;
  });
  try {
    await redis.connect();
    await redis.ping();
    connected = true;
    return redis;
  } catch (err) {
    redis.disconnect();
    throw lastError ?? err;
  }
}

/** The innermost cause's message (a refused connection, an unknown host), not the wrappers' that repeat the URL. */
function rootReason(err: unknown): string {
  let inner = err;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}
