import type { EngineConfig } from '../../config.js';
import type { VectorIndex } from '../vector-index.js';
import { HnswVectorIndex } from './hnsw-vector-index.js';

/**
 * The HNSW indexes a running engine uses, with its configured parameters: chosen by the
 * composition root (scripts/lib/roles.ts) and by the evaluation, which must serve what the
 * engine serves; unit tests give the engine exact indexes instead.
 */

/**
 * The shopper graph is updated after every event, so it is built cheaper than the item graph
 * (an update costs ~efConstruction distance computations); neighbours need no high recall.
 */
const SHOPPER_HNSW_M = 12;
const SHOPPER_HNSW_EF_CONSTRUCTION = 48;

/** The item index of a model: HNSW with HNSW_M, HNSW_EF_CONSTRUCTION and HNSW_EF, room for `capacity` items. */
export function itemIndexFactory(
  config: Pick<EngineConfig, 'hnswM' | 'hnswEfConstruction' | 'hnswEf'>,
): (dimension: number, capacity: number) => VectorIndex {
  return (dimension, capacity) =>
    new HnswVectorIndex({
      dimension,
      m: config.hnswM,
      efConstruction: config.hnswEfConstruction,
      ef: config.hnswEf,
      initialCapacity: Math.max(1024, capacity),
    });
}

/** The "shoppers like you" graph of an engine's shoppers: a small, cheap-to-update HNSW. */
export function shopperIndexFactory(config: Pick<EngineConfig, 'hnswEf'>): (dimension: number) => VectorIndex {
  return (dimension) =>
    new HnswVectorIndex({ dimension, m: SHOPPER_HNSW_M, efConstruction: SHOPPER_HNSW_EF_CONSTRUCTION, ef: config.hnswEf });
}
