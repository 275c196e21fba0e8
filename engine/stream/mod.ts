/**
 * The event stream: the partitioned event log (NATS JetStream, or the in-memory fake), partition
 * leases, dead letters, and the batched pipeline that applies a partition's events (load, compute,
 * store, then each domain's stage, then ack).
 *
 * The entry of engine/stream/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryPartitionLeases } from './adapters/memory-partition-leases.js';
export { partitionConsumerName } from './adapters/nats-event-log.js';
export { RedisPartitionLeases } from './adapters/redis-partition-leases.js';
export type { DeliveredEvent } from './event-log.js';
export { EventProcessor } from './event-processor.js';
export type { PartitionLeases } from './partition-leases.js';
