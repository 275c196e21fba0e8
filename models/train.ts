import type { Item } from '../engine/contracts/schemas.js';
import type { WriteModelInput } from './artifact.js';
import type { BackendName, TensorFlow } from './backend.js';
import { itemFeatures } from './content-encoder.js';
import { trainContentTower, type ContentTowerExample } from './content-tower.js';
import { resolveItem2VecOptions, trainItem2Vec, type Item2VecOptions, type Item2VecProgress } from './item2vec.js';
import {
  DEFAULT_SESSION_GAP_MS,
  buildSequences,
  indexSequences,
  type InteractionEvent,
  type SequenceOptions,
  type SequenceStats,
} from './sequences.js';

/**
 * The whole training, pure (no NATS, no files): events -> sequences -> item2vec -> (with item
 * attributes) content tower -> everything `writeModel` needs. The CLI (scripts/train.ts) reads
 * the data, shows progress and writes the artifact.
 */

export interface TrainOptions extends Omit<Item2VecOptions, 'onProgress' | 'signal'>, SequenceOptions {
  /** Items seen fewer times get no learned row (the tower or the attribute encoder covers them). Default 1. */
  minCount?: number;
  /** Content tower table rows. Default 2^14. */
  towerBuckets?: number;
  /** Content tower epochs. Default 20. */
  towerEpochs?: number;
}

export interface TrainInput {
  events: Iterable<InteractionEvent>;
  /** Item attributes, when known: they train the content tower. */
  items?: readonly Item[];
  options?: TrainOptions;
  tf: TensorFlow;
  backend: BackendName;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export type TrainProgress =
  | { phase: 'sequences'; stats: SequenceStats; items: number; pairsPerEpoch?: number }
  | ({ phase: 'item2vec' } & Item2VecProgress)
  | { phase: 'tower'; epoch: number; epochs: number; loss: number };

export interface TrainedModel extends WriteModelInput {
  summary: TrainSummary;
}

export interface TrainSummary {
  events: number;
  usedEvents: number;
  sequences: number;
  items: number;
  /** Catalog items that trained the tower (attributes and a learned vector). */
  towerItems: number;
  epochs: number;
  pairs: number;
  pairsPerSecond: number;
  finalLoss: number;
  item2vecSeconds: number;
  towerSeconds: number;
  seconds: number;
  backend: BackendName;
  engine: string;
}

/** Thrown when the data cannot make a model (too few items or sequences); the message says what is missing. */
export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
}

export async function trainModel(input: TrainInput): Promise<TrainedModel> {
  const started = performance.now();
  const options = input.options ?? {};
  const resolved = resolveItem2VecOptions(options);
  const { sequences, stats } = buildSequences(input.events, options);
  const indexed = indexSequences(sequences, options.minCount ?? 1);
  input.onProgress?.({ phase: 'sequences', stats, items: indexed.itemIds.length });
  if (indexed.itemIds.length < 2 || indexed.sequences.length === 0) {
    throw new TrainingDataError(
      `not enough data to train: ${stats.usedEvents} usable events of ${stats.events} gave ${indexed.sequences.length} sequences of 2+ items over ${indexed.itemIds.length} items`,
    );
  }

  const embedding = await trainItem2Vec(
    indexed,
    {
      ...options,
      onProgress: (progress) => input.onProgress?.({ phase: 'item2vec', ...progress }),
      ...(input.signal ? { signal: input.signal } : {}),
    },
    input.tf,
  );
  const finalLoss = embedding.epochLosses[embedding.epochLosses.length - 1] ?? Number.NaN;
  if (!Number.isFinite(finalLoss)) throw new RangeError(`item2vec diverged (final loss ${finalLoss}); lower the learning rate`);

  const D = resolved.dimension;
  const examples: ContentTowerExample[] = [];
  const rowOf = new Map(indexed.itemIds.map((id, row) => [id, row]));
  for (const item of input.items ?? []) {
    const row = rowOf.get(item.itemId);
    if (row !== undefined) examples.push({ features: itemFeatures(item), target: embedding.vectors.subarray(row * D, row * D + D) });
  }
  const towerSeed = resolved.seed;
  const tower =
    examples.length > 0
      ? await trainContentTower(input.tf, examples, {
          dimension: D,
          seed: towerSeed,
          ...(options.towerBuckets !== undefined ? { buckets: options.towerBuckets } : {}),
          ...(options.towerEpochs !== undefined ? { epochs: options.towerEpochs } : {}),
          onEpoch: (epoch, epochs, loss) => input.onProgress?.({ phase: 'tower', epoch, epochs, loss }),
          ...(input.signal ? { signal: input.signal } : {}),
        })
      : undefined;

  const seconds = (performance.now() - started) / 1000;
  const summary: TrainSummary = {
    events: stats.events,
    usedEvents: stats.usedEvents,
    sequences: indexed.sequences.length,
    items: indexed.itemIds.length,
    towerItems: examples.length,
    epochs: embedding.epochs,
    pairs: embedding.pairs,
    pairsPerSecond: embedding.pairsPerSecond,
    finalLoss,
    item2vecSeconds: embedding.seconds,
    towerSeconds: tower?.seconds ?? 0,
    seconds,
    backend: input.backend,
    engine: resolved.engine,
  };
  const metrics: Record<string, number> = {
    finalLoss,
    pairs: embedding.pairs,
    pairsPerSecond: Math.round(embedding.pairsPerSecond),
    item2vecSeconds: round(embedding.seconds),
  };
  if (tower) {
    metrics.towerItems = examples.length;
    metrics.towerTrainCosine = round(tower.trainCosine);
    if (Number.isFinite(tower.validationCosine)) metrics.towerValidationCosine = round(tower.validationCosine);
    metrics.towerSeconds = round(tower.seconds);
  }
  return {
    manifest: {
      dimension: D,
      metric: 'cosine',
      itemIds: indexed.itemIds,
      training: {
        events: stats.usedEvents,
        sequences: indexed.sequences.length,
        from: Number.isFinite(stats.from) ? stats.from : 0,
        to: Number.isFinite(stats.to) ? stats.to : 0,
        epochs: embedding.epochs,
        seconds: round(seconds),
        backend: resolved.engine === 'typed' ? `${input.backend} (typed-array SGD step)` : input.backend,
        parameters: {
          dimension: D,
          window: resolved.window,
          negatives: resolved.negatives,
          learningRate: resolved.learningRate,
          batchSize: resolved.batchSize,
          epochsAsked: resolved.epochs,
          maxPairs: resolved.maxPairs,
          subsample: resolved.subsample,
          output: resolved.output,
          optimizer: resolved.optimizer,
          tied: resolved.tied ? 1 : 0,
          engine: resolved.engine,
          seed: resolved.seed,
          minCount: options.minCount ?? 1,
          sessionGapMs: options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS,
          ...(tower ? { towerBuckets: tower.tower.buckets } : {}),
        },
      },
      metrics,
    },
    vectors: embedding.vectors,
    ...(tower ? { content: { table: tower.tower.table, buckets: tower.tower.buckets, seed: tower.tower.seed } } : {}),
    summary,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
