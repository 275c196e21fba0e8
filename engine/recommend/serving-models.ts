import type { ServingModelInfo } from '../contracts/model-info.js';
import type { Item } from '../contracts/schemas.js';
import type { VectorLookup } from '../shoppers/logic/event-effect.js';
import type { ItemVectorSource } from './item-vector-source.js';
import type { VectorIndex } from './vector-index.js';
import { readModel } from '../../models/artifact.js';
import type { ContentEncoder } from '../../models/content-encoder.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';

/** Until a learned model is loaded, item vectors come from attributes (the content encoder). */
export const ATTRIBUTE_MODEL_VERSION = 'attributes-v1';

/** The attribute encoder as an {@link ItemVectorSource}: the model every engine starts with. */
export class AttributeVectorSource implements ItemVectorSource {
  readonly version = ATTRIBUTE_MODEL_VERSION;
  readonly dimension: number;

  constructor(readonly encoder: ContentEncoder) {
    this.dimension = encoder.dimension;
  }

  vectorFor(item: Item): Float32Array {
    return this.encoder.encodeItem(item);
  }

  encodeText(text: string): Float32Array {
    return this.encoder.encodeText(text);
  }
}

/** What serves right now: a vector source and the index built from it. Replaced as one value. */
export interface ServingModel {
  readonly source: ItemVectorSource;
  readonly index: VectorIndex;
}

/** Read side of the registry: take `current()` once per request and use that one throughout. */
export interface ServingModels {
  current(): ServingModel;
}

/** The part of the catalog a build reads: ids at build start, each item as it is now. */
export interface CatalogView {
  readonly size: number;
  ids(): readonly string[];
  get(itemId: string): Item | undefined;
}

/** Item, text and user-space lookups of one serving model, for the event effect and re-derivation. */
export function vectorLookup(model: ServingModel): VectorLookup {
  return {
    // In place where the index can (no copy per applied event): the effect reads it at once (VectorLookup.item).
    item: model.index.view ? (itemId) => model.index.view?.(itemId) : (itemId) => model.index.get(itemId),
    text: (query) => model.source.encodeText(query),
    version: model.source.version,
    dimension: model.index.dimension,
  };
}

/** What /readyz shows of a vector source (see ServingModelInfo). */
export function describeSource(source: ItemVectorSource): ServingModelInfo {
  if (!(source instanceof LearnedVectorSource)) return { version: source.version };
  const { manifest } = source.model;
  const v = manifest.validation;
  return {
    version: source.version,
    ...(manifest.createdAt !== undefined ? { createdAt: manifest.createdAt } : {}),
    ...(manifest.training !== undefined ? { trainedTo: manifest.training.to } : {}),
    learnedItems: source.learnedItems,
    ...(v
      ? {
          validation: {
            k: v.k,
            hitRate: v.hitRate,
            mrr: v.mrr,
            cases: v.cases,
            serving: { version: v.serving.version, hitRate: v.serving.hitRate, mrr: v.serving.mrr },
            forced: v.forced,
          },
        }
      : {}),
  };
}

/** Reads a model directory into a learned vector source (the engine's default `loadSource`). */
export async function loadLearnedSource(dir: string, fallback: ContentEncoder): Promise<ItemVectorSource> {
  return new LearnedVectorSource(await readModel(dir), fallback);
}
