import type { Item } from '../engine/contracts/schemas.js';
import type { ItemVectorSource } from '../engine/ports/item-vector-source.js';
import { ModelError, type LoadedModel } from './artifact.js';
import type { ContentEncoder } from './content-encoder.js';
import { encodeItemWithTower, encodeTextWithTower, isZeroVector, type ContentTowerTable } from './content-tower.js';

/**
 * Item vectors from a trained model (see ./artifact.ts), for the engine's index and queries:
 *   - an item the model was trained on: its learned row;
 *   - any other item (cold start): the model's content tower applied to its attributes, which
 *     lands it in the same space as the learned rows;
 *   - with no tower (e.g. a model trained on a log without item attributes) or when the tower
 *     knows none of the item's features: the attribute encoder (`fallback`), which needs the
 *     model's dimension.
 * Text queries go through the tower's word features, else the fallback.
 * Immutable once built; every returned vector is a fresh copy the caller may keep or change.
 */
export class LearnedVectorSource implements ItemVectorSource {
  readonly version: string;
  readonly dimension: number;
  private readonly model: LoadedModel;
  private readonly tower: ContentTowerTable | undefined;
  /** Undefined when its dimension differs from the model's (then only the tower can help). */
  private readonly fallback: ContentEncoder | undefined;

  /** @throws ModelError('dimension_mismatch') when neither a tower nor a same-dimension fallback can embed unknown items. */
  constructor(model: LoadedModel, fallback: ContentEncoder) {
    const { manifest } = model;
    this.model = model;
    this.version = manifest.version;
    this.dimension = manifest.dimension;
    this.tower =
      manifest.contentTower && model.contentTable
        ? { table: model.contentTable, buckets: manifest.contentTower.buckets, seed: manifest.contentTower.seed, dimension: manifest.dimension }
        : undefined;
    this.fallback = fallback.dimension === manifest.dimension ? fallback : undefined;
    if (!this.tower && !this.fallback) {
      throw new ModelError(
        'dimension_mismatch',
        `model ${manifest.version} has dimension ${manifest.dimension} and no content tower; the attribute encoder has dimension ${fallback.dimension}, so new items could not be embedded`,
      );
    }
  }

  /** True when the model has a learned row for this item. */
  knows(itemId: string): boolean {
    return this.model.rowOf.has(itemId);
  }

  get hasContentTower(): boolean {
    return this.tower !== undefined;
  }

  /** Number of items with a learned row. */
  get learnedItems(): number {
    return this.model.manifest.itemIds.length;
  }

  vectorFor(item: Item): Float32Array {
    const row = this.model.rowOf.get(item.itemId);
    if (row !== undefined) return this.model.vectors.slice(row * this.dimension, (row + 1) * this.dimension);
    if (this.tower) {
      const vector = encodeItemWithTower(this.tower, item);
      if (!isZeroVector(vector)) return vector;
    }
    return this.fallback ? this.fallback.encodeItem(item) : new Float32Array(this.dimension);
  }

  encodeText(text: string): Float32Array {
    if (this.tower) {
      const vector = encodeTextWithTower(this.tower, text);
      if (!isZeroVector(vector) || !this.fallback) return vector;
    }
    return this.fallback ? this.fallback.encodeText(text) : new Float32Array(this.dimension);
  }
}
