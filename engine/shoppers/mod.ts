/**
 * A shopper's state and what events do to it: the user-state store (Redis, or the in-memory fake),
 * the pure effect of an event or a merge, taste vectors, affinity, profile and built-in segments.
 *
 * The entry of engine/shoppers/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryUserStateStore } from './adapters/memory-user-state-store.js';
export { RedisUserStateStore } from './adapters/redis-user-state-store.js';
export { affinityAfter, affinityGain } from './logic/affinity.js';
export { touchedItems } from './logic/event-effect.js';
export { tasteWeight } from './logic/event-weights.js';
export { foldIn } from './logic/user-vector.js';
export { emptyUserState } from './state-semantics.js';
export type { UserState, UserStateStore } from './user-state-store.js';
