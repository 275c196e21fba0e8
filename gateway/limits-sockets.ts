import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import type { RedisSocketLeases, SocketLeaseKeys } from './limits-redis.js';

export interface SocketCapsOptions {
  perUser: number;
  perToken: number;
  /** How long a lease lives in Redis without a renewal (ms); renewed every third of it. */
  leaseMs: number;
  /** Absent: this gateway counts its own sockets only. */
  leases?: RedisSocketLeases;
  logger: Logger;
}

/** One open socket's place in the counts; give it back with `release` when the socket goes. */
export interface SocketLease extends SocketLeaseKeys {
  readonly userId: string;
  readonly tokenHash: string;
  released: boolean;
}

/**
 * Caps the open sockets of a user and of a token over all gateways (SOCKETS_PER_USER,
 * SOCKETS_PER_TOKEN). Each socket is a member of two Redis sorted sets scored by its expiry, so
 * the count is exact across gateways and a crashed gateway's sockets stop counting once their
 * leases lapse (SOCKET_LEASE_MS) without anyone cleaning up. Cost: one script call per connect,
 * a ZREM pair per disconnect, and one pipeline per third of the lease renewing every socket held.
 * Each gateway also counts its own sockets, checked first (no Redis trip for a refusal it can see
 * alone) and used alone while Redis is unreachable.
 */
export class SocketCaps {
  readonly #options: SocketCapsOptions;
  readonly #gatewayId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #held = new Set<SocketLease>();
  readonly #byUser = new Map<string, number>();
  readonly #byToken = new Map<string, number>();
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SocketCapsOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#options.leases || this.#timer) return;
    this.#timer = setInterval(() => void this.#renew(), Math.max(1000, Math.floor(this.#options.leaseMs / 3)));
    this.#timer.unref();
  }

  /** Stops renewing; the leases still held lapse in Redis within SOCKET_LEASE_MS (or are released by their sockets). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sockets held on this gateway. */
  get held(): number {
    return this.#held.size;
  }

  /** A lease for one more socket of `userId` with `token`, or PulseError `too_many_sockets`. */
  async acquire(userId: string, token: string): Promise<SocketLease> {
    const { perUser, perToken, leases, leaseMs, logger } = this.#options;
    const tokenHash = createHash('sha256').update(token).digest('base64url').slice(0, 22);
    // Local counts first, reserved before any await so simultaneous connects here see each other.
    const users = this.#byUser.get(userId) ?? 0;
    const tokens = this.#byToken.get(tokenHash) ?? 0;
    if (users >= perUser) throw tooMany('user', perUser);
    if (tokens >= perToken) throw tooMany('token', perToken);
    const lease: SocketLease = {
      userId,
      tokenHash,
      // One hash tag (the user) for both sets: the script touches one Redis Cluster slot.
      userKey: `pulse:limits:sockets:{${userId}}`,
      tokenKey: `pulse:limits:sockets:{${userId}}:t:${tokenHash}`,
      member: `${this.#gatewayId}:${++this.#sequence}`,
      released: false,
    };
    this.#count(lease, 1);
    if (leases?.ready) {
      try {
        const outcome = await leases.acquire(lease, leaseMs, perUser, perToken);
        if (!outcome.ok) {
          this.#count(lease, -1);
          throw tooMany(outcome.scope, outcome.scope === 'user' ? perUser : perToken);
        }
      } catch (err) {
        if (err instanceof PulseError && err.code === ErrorCodes.tooManySockets) throw err;
        // Redis failed mid-call: this gateway's own count decides; the renewal adds the lease later.
        logger.debug({ err }, 'socket lease not stored in Redis; counted on this gateway only');
      }
    }
    this.#held.add(lease);
    return lease;
  }

  /** Gives a lease back (idempotent). */
  release(lease: SocketLease): void {
    if (lease.released) return;
    lease.released = true;
    this.#held.delete(lease);
    this.#count(lease, -1);
    const { leases } = this.#options;
    if (leases?.ready) leases.release(lease).catch(() => undefined); // not removed: it lapses within SOCKET_LEASE_MS
  }

  #count(lease: SocketLease, delta: number): void {
    bump(this.#byUser, lease.userId, delta);
    bump(this.#byToken, lease.tokenHash, delta);
  }

  async #renew(): Promise<void> {
    const { leases, leaseMs, logger } = this.#options;
    if (!leases?.ready || this.#held.size === 0) return;
    try {
      await leases.renew([...this.#held], leaseMs);
    } catch (err) {
      logger.warn({ err, sockets: this.#held.size }, 'renewing socket leases in Redis failed; retrying at the next beat');
    }
  }
}

function bump(map: Map<string, number>, key: string, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next > 0) map.set(key, next);
  else map.delete(key);
}

function tooMany(scope: 'user' | 'token', cap: number): PulseError {
  const variable = scope === 'user' ? 'SOCKETS_PER_USER' : 'SOCKETS_PER_TOKEN';
  return new PulseError(ErrorCodes.tooManySockets, `this ${scope} already holds ${cap} open sockets (${variable}); close one first`, {
    limit: String(cap),
    scope,
  });
}
