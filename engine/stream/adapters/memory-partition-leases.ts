import type { PartitionLeases } from '../partition-leases.js';
import { checkLeaseArgs, checkOwnerId, checkPartition, checkTtl } from '../../shoppers/state-validation.js';

/**
 * In-process PartitionLeases with the same semantics as RedisPartitionLeases (conformance
 * suite), on this process's clock. Only meaningful among engines sharing one process.
 */
export class MemoryPartitionLeases implements PartitionLeases {
  /** partition -> owner and expiry (epoch ms). */
  private readonly leases = new Map<number, { ownerId: string; expiresAt: number }>();
  /** engine id -> expiry of its last heartbeat (epoch ms). */
  private readonly engines = new Map<string, number>();

  async acquire(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    const now = Date.now();
    const lease = this.leases.get(partition);
    if (lease && lease.expiresAt > now && lease.ownerId !== ownerId) return false;
    this.leases.set(partition, { ownerId, expiresAt: now + ttlMs });
    return true;
  }

  async renew(partition: number, ownerId: string, ttlMs: number): Promise<boolean> {
    checkLeaseArgs(partition, ownerId, ttlMs);
    const now = Date.now();
    const lease = this.leases.get(partition);
    if (!lease || lease.expiresAt <= now || lease.ownerId !== ownerId) return false;
    lease.expiresAt = now + ttlMs;
    return true;
  }

  async release(partition: number, ownerId: string): Promise<void> {
    checkPartition(partition);
    checkOwnerId(ownerId);
    const lease = this.leases.get(partition);
    if (lease && lease.ownerId === ownerId) this.leases.delete(partition);
  }

  async heartbeat(ownerId: string, ttlMs: number): Promise<void> {
    checkOwnerId(ownerId);
    checkTtl(ttlMs);
    this.engines.set(ownerId, Date.now() + ttlMs);
    this.dropExpired();
  }

  /** Live engine ids, sorted. */
  async liveOwners(): Promise<string[]> {
    this.dropExpired();
    return [...this.engines.keys()].sort();
  }

  async leave(ownerId: string): Promise<void> {
    checkOwnerId(ownerId);
    this.engines.delete(ownerId);
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [ownerId, expiresAt] of this.engines) if (expiresAt <= now) this.engines.delete(ownerId);
  }
}
