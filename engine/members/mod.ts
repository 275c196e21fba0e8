/**
 * Membership: accounts and passwords, points, tiers, coupons and rewards, orders the shop vouches
 * for, a member's history, and the points stage of the pipeline.
 *
 * The entry of engine/members/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryCouponStore } from './adapters/memory-coupon-store.js';
export { MemoryMemberStore } from './adapters/memory-member-store.js';
export { RedisCouponStore } from './adapters/redis-coupon-store.js';
export { RedisMemberStore } from './adapters/redis-member-store.js';
export type { CouponStore } from './coupon-store.js';
export type { MemberStore } from './member-store.js';
export { acceptOrder } from './order-handlers.js';
export { PasswordPool } from './adapters/password-pool.js';
