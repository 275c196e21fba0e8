/**
 * Marketing: campaigns and their store, audiences, triggers, live offers and their delivery, cart
 * timers, and the triggers stage of the pipeline.
 *
 * The entry of engine/campaigns/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { MemoryCampaignStore } from './adapters/memory-campaign-store.js';
export { RedisCampaignStore } from './adapters/redis-campaign-store.js';
export type { CampaignStore } from './campaign-store.js';
