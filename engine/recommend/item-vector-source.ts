import type { Item } from '../contracts/schemas.js';

/**
 * Where item vectors come from: the attribute encoder until a model is trained, then a learned
 * model (its item vectors, and its content tower for items it has not seen). Swapped as a whole.
 */
export interface ItemVectorSource {
  /** Shown as `modelVersion` in every list. */
  readonly version: string;
  readonly dimension: number;
  /** Unit vector of an item: learned when the model knows the item, else from its attributes. */
  vectorFor(item: Item): Float32Array;
  /** Unit vector of a free-text query in the same space (zero vector when it has no usable words). */
  encodeText(text: string): Float32Array;
}
