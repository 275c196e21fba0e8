import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import type { Role } from '../engine/contracts/schemas.js';
import type { GatewayConfig } from './config.js';
import { createLimitsRedis, RedisCounterStore, RedisSocketLeases } from './limits-redis.js';
import { SocketCaps, type SocketLease } from './limits-sockets.js';
import { SharedRateLimiter, type RateRefusal, type RateRule } from './limits-window.js';

export type { SocketLease } from './limits-sockets.js';

export interface GatewayLimitsOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Redis the gateways share their counts in; absent (embedded mode, unit tests): each gateway counts alone. */
  redisUrl?: string;
}

/** The numbers a refused caller gets, also in socket acks (`error.retryAfterSeconds`). */
export type RateLimitedError = PulseError & { readonly retryAfterSeconds: number };

/**
 * The limits every gateway enforces together (the per-socket token bucket of rate-limit.ts stays
 * in front of them, per connection):
 * - calls per user (USER_CALLS_PER_SECOND / USER_CALL_BURST) over all of the user's sockets and
 *   HTTP requests on every gateway,
 * - HTTP requests and socket connections per client IP (IP_REQUESTS_PER_SECOND / IP_REQUEST_BURST),
 * - open sockets per user and per token (SOCKETS_PER_USER / SOCKETS_PER_TOKEN).
 * Rates are decided in memory and shared through Redis every RATE_LIMIT_SYNC_MS (limits-window.ts);
 * socket caps cost one Redis script per connect (limits-sockets.ts). Roles in
 * RATE_LIMIT_EXEMPT_ROLES (the shop's servers and staff) skip the rates, not the socket caps.
 */
export class GatewayLimits {
  readonly sockets: SocketCaps;
  readonly #rates: SharedRateLimiter;
  readonly #userRule: RateRule;
  readonly #ipRule: RateRule;
  readonly #exempt: ReadonlySet<string>;
  readonly #trustProxyHops: number;
  readonly #redis: Redis | undefined;

  constructor(options: GatewayLimitsOptions) {
    const { config, logger } = options;
    const log = logger.child({ component: 'limits' });
    this.#redis = options.redisUrl ? createLimitsRedis(options.redisUrl, log) : undefined;
    this.#userRule = { name: 'user', ratePerSecond: config.userCallsPerSecond, burst: config.userCallBurst };
    this.#ipRule = { name: 'ip', ratePerSecond: config.ipRequestsPerSecond, burst: config.ipRequestBurst };
    this.#exempt = new Set(config.rateLimitExemptRoles.split(',').filter((r) => r !== ''));
    this.#trustProxyHops = config.trustProxyHops;
    let failing = false;
    this.#rates = new SharedRateLimiter({
      syncMs: config.rateLimitSyncMs,
      ...(this.#redis ? { store: new RedisCounterStore(this.#redis) } : {}),
      onSyncError: (err) => {
        if (!failing)
          log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'sharing rate counts through Redis failed; this gateway counts alone until it works again',
          );
        failing = true;
      },
      onSyncOk: () => {
        failing = false;
      },
    });
    this.sockets = new SocketCaps({
      perUser: config.socketsPerUser,
      perToken: config.socketsPerToken,
      leaseMs: config.socketLeaseMs,
      logger: log,
      ...(this.#redis ? { leases: new RedisSocketLeases(this.#redis) } : {}),
    });
  }

  /** Whether the counts are shared through Redis right now (else this gateway counts alone). */
  get shared(): boolean {
    return this.#redis?.status === 'ready';
  }

  /** Connects to Redis (without waiting: until it answers, each gateway counts alone) and starts the timers. */
  start(): void {
    this.#redis?.connect().catch(() => undefined); // reported by the client's 'error' listener; ioredis keeps retrying
    this.#rates.start();
    this.sockets.start();
  }

  /** Sends the last counts, stops the timers and closes the Redis connection. */
  async close(): Promise<void> {
    this.sockets.close();
    await this.#rates.close();
    const redis = this.#redis;
    if (redis?.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis?.disconnect(); // never connected, or reconnecting: nothing to wait for
  }

  /** One exchange of rate counts with Redis now, besides the periodic ones (tests; never rejects). */
  syncRates(): Promise<void> {
    return this.#rates.sync();
  }

  /** Whether `role` skips the rates (RATE_LIMIT_EXEMPT_ROLES). */
  exempt(role: Role): boolean {
    return this.#exempt.has(role);
  }

  /** Counts `cost` calls of the user; the refusal to answer when over USER_CALLS_PER_SECOND. O(1), no I/O. */
  userCalls(userId: string, role: Role, cost = 1): RateLimitedError | undefined {
    if (this.#exempt.has(role)) return undefined;
    const refusal = this.#rates.take(this.#userRule, userId, cost);
    return refusal && rateLimited(refusal, 'calls from this user', 'USER_CALLS_PER_SECOND');
  }

  /** Counts one HTTP request or socket connection from `ip`. O(1), no I/O. */
  ipRequest(ip: string): RateLimitedError | undefined {
    const refusal = this.#rates.take(this.#ipRule, ip, 1);
    return refusal && rateLimited(refusal, 'requests from this address', 'IP_REQUESTS_PER_SECOND');
  }

  /**
   * The client's address: the TCP peer, or with TRUST_PROXY_HOPS = n the n-th address from the
   * right of `X-Forwarded-For` (each trusted proxy appends the address it got the request from).
   * A header with fewer addresses than that gives its leftmost one.
   */
  clientIp(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    const fallback = peer ?? 'unknown';
    if (this.#trustProxyHops === 0 || forwardedFor === undefined) return fallback;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    const hops = header
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    if (hops.length === 0) return fallback;
    const ip = hops[Math.max(0, hops.length - this.#trustProxyHops)]!;
    // An address is short; anything else is a hostile header and counts as the peer.
    return ip.length <= 64 ? ip : fallback;
  }

  /** A socket's place under SOCKETS_PER_USER / SOCKETS_PER_TOKEN, or PulseError `too_many_sockets`. */
  acquireSocket(userId: string, token: string): Promise<SocketLease> {
    return this.sockets.acquire(userId, token);
  }

  releaseSocket(lease: SocketLease): void {
    this.sockets.release(lease);
  }
}

function rateLimited(refusal: RateRefusal, what: string, variable: string): RateLimitedError {
  const { rule, retryAfterSeconds } = refusal;
  const error = new PulseError(
    ErrorCodes.rateLimited,
    `too many ${what}: at most ${rule.burst} at once and ${rule.ratePerSecond}/s after that (${variable}); retry in ${retryAfterSeconds} s`,
    { retryAfterSeconds: String(retryAfterSeconds) },
  );
  return Object.assign(error, { retryAfterSeconds });
}
