/**
 * Shop analytics: counters by day, members by tier, the analytics queries and the analytics stage of
 * the pipeline.
 *
 * The entry of engine/analytics/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryShopAnalytics } from './adapters/memory-shop-analytics.js';
export { RedisShopAnalytics } from './adapters/redis-shop-analytics.js';
export type { ShopAnalytics } from './shop-analytics.js';
