import type { Redis } from 'ioredis';
import type { PartitionLeases } from '../partition-leases.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { leaseKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';
import { checkLeaseArgs, checkOwnerId, checkPartition, checkTtl } from '../../shoppers/state-validation.js';

/**
 * Partition leases in Redis, all keys under the hash tag `{p}`: `lease:{p}:<partition>` holds the
 * owner id and expires by itself (PX); `lease:{p}:engines` is a zset of engine ids scored by the
 * expiry of their last heartbeat (epoch ms). Expiry uses the Redis clock only (key TTLs and TIME
 * inside the scripts), so engines on machines with skewed clocks still agree.
 * Every compare-and-change (acquire, renew, release) is one Lua script.
 */
export class RedisPartitionLeases implements PartitionLeases {
  private readonly keys: ReturnType<typeof leaseKeys>;

  constructor(
    private readonly redis: Redis,
    options: { keyPrefix?: string } = {},
  ) {
    this.keys = leaseKeys(options.keyPrefix ?? '');
    defineRedisScripts(redis);
  }

  async acquire(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    return (await callRedis('script acquireLease', () => this.redis.acquireLease(this.keys.lease(partition), ownerId, ttlMs))) === 1;
  }

  async renew(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    return (await callRedis('script renewLease', () => this.redis.renewLease(this.keys.lease(partition), ownerId, ttlMs))) === 1;
  }

  async release(partition: number, ownerId: string): Promise<void> {
    checkPartition(partition);
    checkOwnerId(ownerId);
    await callRedis('script releaseLease', () => this.redis.deleteIfEquals(this.keys.lease(partition), ownerId));
  }

  async heartbeat(ownerId: string, ttlMs: number): Promise<void> {
    checkOwnerId(ownerId);
    checkTtl(ttlMs);
    await callRedis('script heartbeat', () => this.redis.heartbeat(this.keys.engines(), ownerId, ttlMs));
  }

  /** Live engine ids, sorted (so every engine computes the same assignment from the same set). */
  async liveOwners(): Promise<string[]> {
    const reply = await callRedis('script liveOwners', () => this.redis.liveOwners(this.keys.engines()));
    if (!Array.isArray(reply)) throw new Error(`liveOwners returned ${typeof reply}`);
    return reply.map(String).sort();
  }

  async leave(ownerId: string): Promise<void> {
    checkOwnerId(ownerId);
    await callRedis('leave', () => this.redis.zrem(this.keys.engines(), ownerId));
  }
}
