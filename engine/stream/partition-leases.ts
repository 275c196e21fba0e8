/**
 * Which engine consumes which partition: one at a time, so per-user order holds.
 * Leases expire unless renewed, so a killed engine's partitions move to the others.
 */
export interface PartitionLeases {
  /** Takes the lease if free or already ours; true when we hold it after the call. */
  acquire(partition: number, ownerId: string, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours (we must stop consuming). */
  renew(partition: number, ownerId: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if ours. */
  release(partition: number, ownerId: string): Promise<void>;
  /** Announces a live engine; engines not heard from within `ttlMs` drop out of `liveOwners`. */
  heartbeat(ownerId: string, ttlMs: number): Promise<void>;
  liveOwners(): Promise<string[]>;
  /** Removes this engine from the live set (on shutdown). */
  leave(ownerId: string): Promise<void>;
}
