import type { Tensor } from '@tensorflow/tfjs';
import type { Item } from '../engine/contracts/schemas.js';
import type { TensorFlow } from './backend.js';
import { hashString, itemFeatures, mulberry32, tokenize } from './content-encoder.js';

/**
 * The content tower: an item's vector from its attributes, in the space of the learned item
 * vectors, so an item that arrives after training (and its first shoppers) gets a useful vector
 * at once. vector = normalise(Σ weight_f * table[hash(f) mod buckets]) over the item's weighted
 * features (`itemFeatures`, the same features as the attribute encoder); a text query uses its
 * word features.
 *
 * The forward pass is plain TypeScript (the engine runs it without loading TF.js; `tf` is only a
 * type import here). Training (`trainContentTower`) runs in TF.js with the technique of
 * ./item2vec.ts: gather the feature rows into a tensor, take the gradient of the loss with respect
 * to those rows, apply it sparsely (Adagrad) to the Float32Array table.
 */

/** Title words kept for a text query (as ContentEncoder.encodeText). */
const MAX_TEXT_WORDS = 32;

export interface ContentTowerTable {
  /** buckets x dimension Float32. */
  table: Float32Array;
  buckets: number;
  dimension: number;
  /** Seed of the feature hash. */
  seed: number;
}

/** One hashed feature: the table row it reads and its weight. */
export interface HashedFeature {
  row: number;
  weight: number;
}

/** Word features of a free-text query, weight 1 each (as ContentEncoder.encodeText). */
export function textFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  for (const word of tokenize(text).slice(0, MAX_TEXT_WORDS)) {
    const name = `w:${word}`;
    features.set(name, (features.get(name) ?? 0) + 1);
  }
  return features;
}

/** Features -> table rows; two features hashing to one row add their weights. */
export function hashFeatures(features: Map<string, number>, buckets: number, seed: number): HashedFeature[] {
  const byRow = new Map<number, number>();
  for (const [name, weight] of features) {
    const row = hashString(name, seed) % buckets;
    byRow.set(row, (byRow.get(row) ?? 0) + weight);
  }
  return [...byRow].map(([row, weight]) => ({ row, weight }));
}

/** normalise(Σ weight * table[row]); all zeros when the sum is zero (no features, untrained rows). */
export function towerVector(tower: ContentTowerTable, features: readonly HashedFeature[]): Float32Array {
  const { table, dimension } = tower;
  const sum = new Float64Array(dimension);
  for (const { row, weight } of features) {
    const offset = row * dimension;
    for (let i = 0; i < dimension; i++) sum[i]! += weight * table[offset + i]!;
  }
  let squared = 0;
  for (let i = 0; i < dimension; i++) squared += sum[i]! * sum[i]!;
  const out = new Float32Array(dimension);
  if (!(squared > 1e-24) || !Number.isFinite(squared)) return out;
  const inverse = 1 / Math.sqrt(squared);
  for (let i = 0; i < dimension; i++) out[i] = sum[i]! * inverse;
  return out;
}

export function encodeItemWithTower(tower: ContentTowerTable, item: Item): Float32Array {
  return towerVector(tower, hashFeatures(itemFeatures(item), tower.buckets, tower.seed));
}

export function encodeTextWithTower(tower: ContentTowerTable, text: string): Float32Array {
  return towerVector(tower, hashFeatures(textFeatures(text), tower.buckets, tower.seed));
}

/**
 * Share (0..1) of an item's feature weight that falls on rows training touched (non-zero rows):
 * how much of the item the tower has actually learned about. 0 for an item without features.
 */
export function towerKnownShare(tower: ContentTowerTable, item: Item): number {
  const { table, dimension } = tower;
  let known = 0;
  let total = 0;
  for (const { row, weight } of hashFeatures(itemFeatures(item), tower.buckets, tower.seed)) {
    total += weight;
    const offset = row * dimension;
    for (let i = 0; i < dimension; i++) {
      if (table[offset + i] !== 0) {
        known += weight;
        break;
      }
    }
  }
  return total > 0 ? known / total : 0;
}

export function isZeroVector(vector: Float32Array): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return false;
  return true;
}

export interface ContentTowerExample {
  /** Weighted features of the item (`itemFeatures(item)`). */
  features: Map<string, number>;
  /** The item's learned unit vector (the target). */
  target: Float32Array;
}

export interface ContentTowerOptions {
  dimension: number;
  /** Table rows. Default 2^14. */
  buckets?: number;
  /** Seed of the feature hash and of initialisation and shuffles. Default 1. */
  seed?: number;
  /** Passes over the items. Default 20. */
  epochs?: number;
  /** Adagrad learning rate. Default 0.2. */
  learningRate?: number;
  /** Items per step. Default 256. */
  batchSize?: number;
  /**
   * Share of an item's features dropped at random in each training pass, so the tower learns to
   * place an item from part of its attributes (a new item's title words are often unseen). Default 0.3.
   */
  featureDropout?: number;
  /** Share of the examples held out to measure the cold-start cosine (not trained on). Default 0.1. */
  validationShare?: number;
  /** Called after each epoch. */
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface ContentTowerResult {
  tower: ContentTowerTable;
  /** Mean cosine between tower and learned vector, over trained items and over held-out items. */
  trainCosine: number;
  validationCosine: number;
  examples: number;
  seconds: number;
}

/** Features per item kept for training (the heaviest first); the rest contribute nothing. */
const MAX_TRAIN_FEATURES = 64;

/**
 * Trains the tower to map each example's features onto its learned vector: loss = Σ (1 - cos).
 * Rows no training feature touches are zeroed afterwards, so an unknown feature adds nothing (and
 * an item made only of unknown features gets the zero vector: the caller falls back).
 */
export async function trainContentTower(
  tf: TensorFlow,
  examples: readonly ContentTowerExample[],
  options: ContentTowerOptions,
): Promise<ContentTowerResult> {
  const started = performance.now();
  const D = options.dimension;
  const buckets = options.buckets ?? 1 << 14;
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 20;
  const lr = options.learningRate ?? 0.2;
  const batchSize = options.batchSize ?? 256;
  const validationShare = options.validationShare ?? 0.1;
  const dropout = options.featureDropout ?? 0.3;
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`featureDropout must be in [0, 1), got ${dropout}`);
  if (!(validationShare >= 0 && validationShare < 1)) throw new RangeError(`validationShare must be in [0, 1), got ${validationShare}`);
  for (const example of examples) {
    if (example.target.length !== D) throw new RangeError(`a target has ${example.target.length} dimensions, expected ${D}`);
  }
  const random = mulberry32(seed ^ 0x5bd1e995);
  const hashed = examples.map((example) => {
    const features = hashFeatures(example.features, buckets, seed)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, MAX_TRAIN_FEATURES);
    return { features, target: example.target };
  });
  const order = hashed.map((_, i) => i);
  shuffle(order, random);
  const validationCount = hashed.length >= 10 ? Math.floor(hashed.length * validationShare) : 0;
  const validation = order.slice(0, validationCount).map((i) => hashed[i]!);
  const training = order.slice(validationCount).map((i) => hashed[i]!);

  const table = new Float32Array(buckets * D);
  const scale = 1 / Math.sqrt(D);
  for (let i = 0; i < table.length; i++) table[i] = (random() * 2 - 1) * scale;
  const tower: ContentTowerTable = { table, buckets, dimension: D, seed };
  const squaredGradients = new Float32Array(table.length);
  const touched = new Uint8Array(buckets);
  for (const example of training) for (const { row } of example.features) touched[row] = 1;

  // loss(R, W, T) = Σ_b 1 - cos(Σ_f W_bf R_bf, T_b); R: gathered rows [B, F, D], W: weights [B, F].
  const lossAndGrads = tf.valueAndGrads((rows: Tensor, weights: Tensor, targets: Tensor) => {
    const predicted = tf.sum(tf.mul(tf.expandDims(weights, 2), rows), 1);
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(predicted), 1), 1e-12));
    const cosines = tf.div(tf.sum(tf.mul(predicted, targets), 1), norms);
    return tf.sum(tf.sub(1, cosines));
  });

  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(training, random);
    let epochLoss = 0;
    for (let start = 0; start < training.length; start += batchSize) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
      const batch = training.slice(start, start + batchSize);
      const F = Math.max(1, ...batch.map((example) => example.features.length));
      const rows = new Float32Array(batch.length * F * D);
      const weights = new Float32Array(batch.length * F);
      const targets = new Float32Array(batch.length * D);
      batch.forEach((example, b) => {
        targets.set(example.target, b * D);
        example.features.forEach(({ row, weight }, f) => {
          // A dropped feature keeps its slot with weight 0: no contribution, no gradient.
          weights[b * F + f] = dropout > 0 && random() < dropout ? 0 : weight;
          rows.set(table.subarray(row * D, row * D + D), (b * F + f) * D);
        });
      });
      let gradient: Float32Array = new Float32Array(0);
      tf.tidy(() => {
        const { value, grads } = lossAndGrads([
          tf.tensor3d(rows, [batch.length, F, D]),
          tf.tensor2d(weights, [batch.length, F]),
          tf.tensor2d(targets, [batch.length, D]),
        ]);
        epochLoss += value.dataSync()[0]!;
        gradient = grads[0]!.dataSync() as Float32Array;
      });
      // Sparse Adagrad on the gathered rows; a row used twice in the batch takes both updates.
      batch.forEach((example, b) => {
        example.features.forEach(({ row }, f) => {
          const g = (b * F + f) * D;
          const t = row * D;
          for (let i = 0; i < D; i++) {
            const grad = gradient[g + i]!;
            squaredGradients[t + i]! += grad * grad;
            table[t + i]! -= (lr * grad) / (Math.sqrt(squaredGradients[t + i]!) + 1e-8);
          }
        });
      });
      if (!Number.isFinite(epochLoss)) throw new RangeError(`content tower training diverged at epoch ${epoch} (loss ${epochLoss})`);
    }
    options.onEpoch?.(epoch, epochs, training.length > 0 ? epochLoss / training.length : Number.NaN);
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let row = 0; row < buckets; row++) if (!touched[row]) table.fill(0, row * D, row * D + D);
  return {
    tower,
    trainCosine: meanCosine(tower, training),
    validationCosine: meanCosine(tower, validation),
    examples: hashed.length,
    seconds: (performance.now() - started) / 1000,
  };
}

function meanCosine(tower: ContentTowerTable, examples: ReadonlyArray<{ features: HashedFeature[]; target: Float32Array }>): number {
  if (examples.length === 0) return Number.NaN;
  let sum = 0;
  for (const example of examples) {
    const vector = towerVector(tower, example.features);
    let dot = 0;
    for (let i = 0; i < vector.length; i++) dot += vector[i]! * example.target[i]!;
    sum += dot;
  }
  return sum / examples.length;
}

function shuffle<T>(array: T[], random: () => number): void {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = array[i]!;
    array[i] = array[j]!;
    array[j] = swap;
  }
}
