import type { Redis } from 'ioredis';
import type { PartitionLeases } from '../ports/partition-leases.js';
import { ACQUIRE_LEASE, HEARTBEAT, LIVE_OWNERS, RELEASE_LEASE, RENEW_LEASE, callRedis, checkKeyPrefix } from './redis-scripts.js';
import { checkLeaseArgs, checkOwnerId, checkPartition, checkTtl } from './state-validation.js';

/**
 * Partition leases in Redis, all keys under the hash tag `{p}`: `lease:{p}:<partition>` holds the
 * owner id and expires by itself (PX); `lease:{p}:engines` is a zset of engine ids scored by the
 * expiry of their last heartbeat (epoch ms). Expiry uses the Redis clock only (key TTLs and TIME
 * inside the scripts), so engines on machines with skewed clocks still agree.
 * Every compare-and-change (acquire, renew, release) is one Lua script.
 */
export class RedisPartitionLeases implements PartitionLeases {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: { keyPrefix?: string } = {},
  ) {
    this.prefix = `${checkKeyPrefix(options.keyPrefix ?? '')}lease:{p}:`;
  }

  async acquire(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    return (await ACQUIRE_LEASE.run(this.redis, [this.leaseKey(partition)], [ownerId, ttlMs])) === 1;
  }

  async renew(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    return (await RENEW_LEASE.run(this.redis, [this.leaseKey(partition)], [ownerId, ttlMs])) === 1;
  }

  async release(partition: number, ownerId: string): Promise<void> {
    checkPartition(partition);
    checkOwnerId(ownerId);
    await RELEASE_LEASE.run(this.redis, [this.leaseKey(partition)], [ownerId]);
  }

  async heartbeat(ownerId: string, ttlMs: number): Promise<void> {
    checkOwnerId(ownerId);
    checkTtl(ttlMs);
    await HEARTBEAT.run(this.redis, [this.enginesKey()], [ownerId, ttlMs]);
  }

  /** Live engine ids, sorted (so every engine computes the same assignment from the same set). */
  async liveOwners(): Promise<string[]> {
    const reply = await LIVE_OWNERS.run(this.redis, [this.enginesKey()], []);
    if (!Array.isArray(reply)) throw new Error(`liveOwners returned ${typeof reply}`);
    return reply.map(String).sort();
  }

  async leave(ownerId: string): Promise<void> {
    checkOwnerId(ownerId);
    await callRedis('leave', () => this.redis.zrem(this.enginesKey(), ownerId));
  }

  private leaseKey(partition: number): string {
    return `${this.prefix}${partition}`;
  }

  private enginesKey(): string {
    return `${this.prefix}engines`;
  }
}
