import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { TierThresholds } from '../logic/tiers.js';
import type { OrderAcceptance, OrderChange } from '../member-store.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { orderKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';

/** Raw result of the apply script, for RedisMemberStore to decode (it owns the record's format). */
export type ApplyOrderReply = {
  status: 'applied' | 'duplicate' | 'not_paid';
  amount: number;
  points: number;
  from?: string;
  record?: string[];
};

/**
 * The order scripts over one Redis, with the member store's key prefix.
 * - `ord:{<orderId>}` the intake record (lua/accept-order.lua): hash of userId, `pd` the paid
 *   lines' digest, per item `q:` quantity, `pr:` unit price, `rq:` quantity returned,
 *   `ret:<digest>` per accepted return, `cancelled`. Semantics in engine/members/member-store.ts `acceptOrder`.
 * - `m:{<userId>}:ord:<orderId>` the applied record (lua/apply-order.lua), written atomically with
 *   the member's points (all keys share the user's hash tag).
 */
export class RedisOrderRecords {
  private readonly keys: ReturnType<typeof orderKeys>;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
  ) {
    this.keys = orderKeys(keyPrefix);
    defineRedisScripts(redis);
  }

  async accept(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }> {
    const digest = order.status === 'returned' ? (order.returnDigest ?? '') : (order.paidDigest ?? '');
    const args = [order.status, order.userId, digest];
    for (const line of order.lines) args.push(line.itemId, String(line.quantity), String(line.price));
    const reply = (await callRedis('script acceptOrder', () => this.redis.acceptOrder(this.keys.accepted(order.orderId), ...args))) as [
      number,
      string[] | string,
    ];
    if (reply[0] === -1) throw new PulseError(ErrorCodes.orderConflict, `order ${order.orderId}: ${String(reply[1])}`);
    const flat = Array.isArray(reply[1]) ? reply[1] : [];
    const paidPrices: Record<string, number> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) paidPrices[flat[i]!] = Number(flat[i + 1]);
    return { duplicate: reply[0] === 0, paidPrices };
  }

  /** Two reads (the keys live on different slots): applied first, then accepted. */
  async paidState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'> {
    if ((await callRedis('read order record', () => this.redis.hexists(this.keys.applied(userId, orderId), 'paid'))) === 1)
      return 'applied';
    return (await callRedis('read order record', () => this.redis.hexists(this.keys.accepted(orderId), 'userId'))) === 1
      ? 'accepted'
      : 'unknown';
  }

  async apply(
    userId: string,
    keys: { record: string; ledger: string },
    change: OrderChange,
    thresholds: TierThresholds,
  ): Promise<ApplyOrderReply> {
    const args = [change.status, change.eventId, String(change.ts), change.orderId, String(thresholds.vip), String(thresholds.enterprise)];
    for (const line of change.lines) args.push(line.itemId, String(line.quantity), String(line.price), String(line.points ?? 0));
    const reply = (await callRedis('script applyOrder', () =>
      this.redis.applyOrder(keys.record, keys.ledger, this.keys.applied(userId, change.orderId), ...args),
    )) as [number, string?, string?, string?, string[]?];
    if (reply[0] === -2) return { status: 'not_paid', amount: 0, points: 0 };
    if (reply[0] === 0) return { status: 'duplicate', amount: Number(reply[1] ?? 0), points: 0 };
    return {
      status: 'applied',
      amount: Number(reply[1] ?? 0),
      points: Number(reply[2] ?? 0),
      ...(reply[3] !== undefined ? { from: reply[3] } : {}),
      ...(reply[4] ? { record: reply[4] } : {}),
    };
  }
}
