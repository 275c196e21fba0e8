/**
 * Recommendations: item and shopper vector indexes (HNSW, exact), the serving models, candidate
 * sources (taste, co-visitation, sessions like yours, what follows, re-visits, complements),
 * ranking and reasons, the recommender and its pipeline stages (push, sessions, shoppers, aggregates).
 *
 * The entry of engine/recommend/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { ExactVectorIndex } from './adapters/exact-vector-index.js';
export { HnswVectorIndex } from './adapters/hnsw-vector-index.js';
export { MemoryInteractionStats } from './adapters/memory-interaction-stats.js';
export { RedisInteractionStats } from './adapters/redis-interaction-stats.js';
export type { InteractionStats, InteractionUpdate } from './interaction-stats.js';
export type { ItemVectorSource } from './item-vector-source.js';
export type { ListEvidence } from './list-evidence.js';
export type { SessionIndex } from './logic/session-neighbours.js';
export { modelAnnouncementChannel } from './model-announcements.js';
export { ATTRIBUTE_MODEL_VERSION, AttributeVectorSource, ModelRegistry } from './model-registry.js';
export { Recommender, listEvidenceFrom, recommenderOptionsFrom, sessionIndexFrom, type RecommenderOptions } from './recommender.js';
export { ShopperIndex } from './shopper-index.js';
export type { VectorIndex } from './vector-index.js';
export { itemIndexFactory, shopperIndexFactory } from './adapters/index-factories.js';
