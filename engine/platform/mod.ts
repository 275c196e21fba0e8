/**
 * What every domain runs on: the NATS and in-memory transports, request/reply, announcements,
 * presence and push, the Redis plumbing (Lua scripts under redis/lua/, keys, slots, persistence
 * check), and small shared utilities.
 *
 * The entry of engine/platform/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryTransport } from './adapters/memory-transport.js';
export { NatsAnnouncements } from './adapters/nats-announcements.js';
export { NatsTransport } from './adapters/nats-transport.js';
export { redactUrl } from './redact-url.js';
export { heldWrites, type WriteCoalescer } from './redis/held-writes.js';
export type { Notifier } from './notifier.js';
export {
  PersistenceRefusedError,
  RedisPersistenceGuard,
  registerPersistenceMetrics,
  type PersistenceVerdict,
} from './redis/redis-persistence.js';
