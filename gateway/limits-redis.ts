import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CounterAdd, CounterStore } from './limits-window.js';
import { callRedis, defineLimitScripts } from './redis-limit-scripts.js';

/**
 * The Redis side of the gateways' shared limits: the rate counters (limits-window.ts) and the
 * socket leases (limits-sockets.ts). The gateway's own connection, separate from the engine's
 * state: no offline queue and a short command timeout, so a Redis outage fails a limit check at
 * once (the gateway then decides alone) instead of holding a connect or a call.
 */
export function createLimitsRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 1500,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down)
      logger.warn({ err: err.message }, 'Redis for shared limits unreachable: each gateway enforces the limits alone until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis for shared limits reachable again');
    down = false;
  });
  return redis;
}

/** Whether a command can be sent now (else the caller decides alone without waiting). */
export function redisReady(redis: Redis | undefined): redis is Redis {
  return redis?.status === 'ready';
}

/** Rate counters in Redis: INCRBY + PEXPIRE per key (+ GET of the previous window), one pipeline. */
export class RedisCounterStore implements CounterStore {
  constructor(private readonly redis: Redis) {}

  async add(entries: ReadonlyArray<CounterAdd>): Promise<Array<{ total: number; previous?: number }>> {
    if (this.redis.status !== 'ready') throw new Error(`redis is ${this.redis.status}`);
    const pipeline = this.redis.pipeline();
    for (const entry of entries) {
      pipeline.incrby(entry.key, entry.delta);
      pipeline.pexpire(entry.key, entry.ttlMs);
      if (entry.previousKey !== undefined) pipeline.get(entry.previousKey);
    }
    const results = (await pipeline.exec()) ?? [];
    let i = 0;
    const next = (): unknown => {
      const [err, value] = results[i++] ?? [new Error('missing pipeline reply'), undefined];
      if (err) throw err;
      return value;
    };
    return entries.map((entry) => {
      const total = Number(next());
      next(); // PEXPIRE
      if (entry.previousKey === undefined) return { total };
      const previous = Number(next() ?? 0);
      return { total, previous: Number.isFinite(previous) ? previous : 0 };
    });
  }
}

export interface SocketLeaseKeys {
  userKey: string;
  tokenKey: string;
  member: string;
}

export type AcquireOutcome = { ok: true; count: number } | { ok: false; scope: 'user' | 'token'; count: number };

/** Socket leases in Redis (scripts lua/acquire-socket.lua and renew-socket.lua, redis-limit-scripts.ts). */
export class RedisSocketLeases {
  constructor(private readonly redis: Redis) {
    defineLimitScripts(redis);
  }

  get ready(): boolean {
    return redisReady(this.redis);
  }

  async acquire(lease: SocketLeaseKeys, leaseMs: number, userCap: number, tokenCap: number): Promise<AcquireOutcome> {
    const reply = (await callRedis('script acquireSocket', () =>
      this.redis.acquireSocket(lease.userKey, lease.tokenKey, lease.member, leaseMs, userCap, tokenCap),
    )) as [number, string | number, number?];
    if (reply[0] === 1) return { ok: true, count: Number(reply[1]) };
    return { ok: false, scope: reply[1] === 'token' ? 'token' : 'user', count: Number(reply[2]) };
  }

  /** Renews every lease in one pipeline. */
  async renew(leases: Iterable<SocketLeaseKeys>, leaseMs: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    let n = 0;
    for (const lease of leases) {
      pipeline.renewSocket(lease.userKey, lease.tokenKey, lease.member, leaseMs);
      n++;
    }
    if (n > 0) await pipeline.exec();
  }

  async release(lease: SocketLeaseKeys): Promise<void> {
    await this.redis.pipeline().zrem(lease.userKey, lease.member).zrem(lease.tokenKey, lease.member).exec();
  }
}
