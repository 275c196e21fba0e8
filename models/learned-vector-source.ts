import type { Item } from '../engine/contracts/schemas.js';
import type { ItemVectorSource } from '../engine/recommend/item-vector-source.js';
import { ModelError } from './artifact.js';
import type { ModelManifest } from './artifact-types.js';
import type { ContentEncoder } from './content-encoder.js';
import { encodeItemWithTower, encodeTextWithTower, isZeroVector, towerKnownShare, type ContentTowerTable } from './content-tower.js';

/**
 * Item vectors from a trained model (see ./artifact.ts), for the engine's index and queries:
 *   - an item the model was trained on: its learned row;
 *   - any other item (cold start): the model's content tower applied to its attributes, which
 *     lands it in the same space as the learned rows, but only when the tower generalises (its
 *     cosine on the items held out of its training, `towerValidationCosine` in the manifest's
 *     metrics, is at least `minTowerValidationCosine`: a tower fitted to the 38 items of a 163-event
 *     log measured -0.08, one fitted to Online Retail's 3,662 items 0.35) and has learned at least
 *     `minTowerShare` of the item's feature weight (see {@link towerKnownShare}): an item known to
 *     the tower by its price band alone would otherwise land wherever that one feature points;
 *   - else (no tower, e.g. a model trained on a log without item attributes, or too little of the
 *     item known to it): the attribute encoder (`fallback`), which needs the model's dimension.
 *     Such items keep the vector they had under the attribute model; it is near-orthogonal to the
 *     learned rows, so they neither crowd nor join the learned neighbourhoods. (With no fallback
 *     of the model's dimension the tower places every item it can.)
 * A model never drops an item: every catalog item keeps a vector. The registry logs how many came
 * from each origin when it loads a model.
 * Text queries go through the tower's word features, else the fallback.
 * Immutable once built; every returned vector is a fresh copy the caller may keep or change.
 */

/** What a source needs of a model: a LoadedModel (./artifact.ts) fits, so does an unwritten one. */
export interface LearnedVectors {
  manifest: Pick<ModelManifest, 'version' | 'dimension' | 'itemIds'> &
    Partial<Pick<ModelManifest, 'createdAt' | 'validation' | 'training' | 'metrics'>> & {
      contentTower?: { buckets: number; seed: number };
    };
  /** itemIds.length x dimension, unit rows. */
  vectors: Float32Array;
  rowOf: Map<string, number>;
  contentTable?: Float32Array;
}

/** Where an item's vector comes from under a learned model. */
export type VectorOrigin = 'learned' | 'tower' | 'attributes' | 'none';

/** Default smallest share of an item's feature weight the tower must know to place it. */
export const DEFAULT_MIN_TOWER_SHARE = 0.5;
/** Default smallest held-out cosine of a tower trusted to place items (models without the figure: trusted). */
export const DEFAULT_MIN_TOWER_VALIDATION_COSINE = 0.2;

export interface LearnedVectorSourceOptions {
  /** See the class comment. Default {@link DEFAULT_MIN_TOWER_SHARE}. */
  minTowerShare?: number;
  /** See the class comment. Default {@link DEFAULT_MIN_TOWER_VALIDATION_COSINE}. */
  minTowerValidationCosine?: number;
}

export class LearnedVectorSource implements ItemVectorSource {
  readonly version: string;
  readonly dimension: number;
  readonly model: LearnedVectors;
  private readonly tower: ContentTowerTable | undefined;
  /** Undefined when its dimension differs from the model's (then only the tower can help). */
  private readonly fallback: ContentEncoder | undefined;
  private readonly minTowerShare: number;

  /** @throws ModelError('dimension_mismatch') when neither a tower nor a same-dimension fallback can embed unknown items. */
  constructor(model: LearnedVectors, fallback: ContentEncoder, options: LearnedVectorSourceOptions = {}) {
    const { manifest } = model;
    this.model = model;
    this.version = manifest.version;
    this.dimension = manifest.dimension;
    this.minTowerShare = options.minTowerShare ?? DEFAULT_MIN_TOWER_SHARE;
    if (!(this.minTowerShare >= 0 && this.minTowerShare <= 1))
      throw new RangeError(`minTowerShare must be in [0, 1], got ${this.minTowerShare}`);
    this.fallback = fallback.dimension === manifest.dimension ? fallback : undefined;
    const towerCosine = manifest.metrics?.towerValidationCosine;
    // A tower that does not generalise is not used while the attribute encoder can stand in.
    const towerTrusted =
      towerCosine === undefined ||
      towerCosine >= (options.minTowerValidationCosine ?? DEFAULT_MIN_TOWER_VALIDATION_COSINE) ||
      !this.fallback;
    this.tower =
      manifest.contentTower && model.contentTable && towerTrusted
        ? {
            table: model.contentTable,
            buckets: manifest.contentTower.buckets,
            seed: manifest.contentTower.seed,
            dimension: manifest.dimension,
          }
        : undefined;
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

  /** The learned row of an item (a copy), or undefined when the model was not trained on it. */
  learnedVector(itemId: string): Float32Array | undefined {
    const row = this.model.rowOf.get(itemId);
    return row === undefined ? undefined : this.model.vectors.slice(row * this.dimension, (row + 1) * this.dimension);
  }

  vectorFor(item: Item): Float32Array {
    return this.vectorWithOrigin(item).vector;
  }

  /** The item's vector and where it came from ('none': all zeros, the item cannot be indexed). */
  vectorWithOrigin(item: Item): { vector: Float32Array; origin: VectorOrigin } {
    const learned = this.learnedVector(item.itemId);
    if (learned) return { vector: learned, origin: 'learned' };
    // Without a fallback of the model's dimension the tower is the only way to place the item.
    if (this.tower && (!this.fallback || towerKnownShare(this.tower, item) >= this.minTowerShare)) {
      const vector = encodeItemWithTower(this.tower, item);
      if (!isZeroVector(vector)) return { vector, origin: 'tower' };
    }
    if (!this.fallback) return { vector: new Float32Array(this.dimension), origin: 'none' };
    const vector = this.fallback.encodeItem(item);
    return { vector, origin: isZeroVector(vector) ? 'none' : 'attributes' };
  }

  encodeText(text: string): Float32Array {
    if (this.tower) {
      const vector = encodeTextWithTower(this.tower, text);
      if (!isZeroVector(vector) || !this.fallback) return vector;
    }
    return this.fallback ? this.fallback.encodeText(text) : new Float32Array(this.dimension);
  }
}
