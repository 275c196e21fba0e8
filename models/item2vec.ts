import type { TensorFlow } from './backend.js';
import { mulberry32 } from './content-encoder.js';
import type { IndexedSequences } from './sequences.js';
import { AliasTable, epochPairs, keepProbabilities } from './skipgram-pairs.js';
import { Batch, RowUpdater, tfjsStep, typedStep, type StepFunction } from './skipgram-step.js';

export { AliasTable } from './skipgram-pairs.js';

/**
 * item2vec: skip-gram with negative sampling over interaction sequences (Barkan & Koenigstein 2016,
 * after word2vec). Items that occur near each other in sessions and purchase histories get
 * embeddings with a high dot product.
 *
 * The embedding tables are Float32Arrays (items x dimension) owned here. A step gathers the rows
 * of a batch of (center, context) pairs and their negatives into tensors, lets TF.js compute the
 * loss and its gradients with respect to those gathered rows (`tf.valueAndGrads`), and applies the
 * row gradients back to the tables as sparse updates (row-wise Adagrad by default, or SGD).
 * Gathering in TF.js (`tf.gather`) would need the gradient of UnsortedSegmentSum, which the wasm
 * backend lacks and the CPU backend computes densely (seconds per step). A row repeated in a
 * batch receives the sum of its gradients.
 *
 * Per pair: loss = softplus(-u·v) + Σ_k softplus(u·n_k)  (= -log σ(u·v) - Σ log σ(-u·n_k)),
 * u = input row of the center, v = output row of the context, n_k = output rows of K negatives
 * drawn from the unigram^0.75 distribution. By default one table serves as both (`tied`), so the
 * trained similarity is the cosine the engine's single vector space uses.
 *
 * The `typed` engine computes exactly the same gradients with plain loops, only to measure what
 * TF.js costs (README); both engines train through the same loop, batches and updates.
 */

export type SkipGramEngineName = 'tfjs' | 'typed';

export interface Item2VecOptions {
  /** Embedding length. Default 64 (the engine's VECTOR_DIM default). */
  dimension?: number;
  /** Largest distance between center and context; each center draws its window from 1..window. Default 3. */
  window?: number;
  /** Negatives per pair. Default 5. */
  negatives?: number;
  /** Passes over the sequences. Default 20. */
  epochs?: number;
  /**
   * Budget of (center, context) pairs over the whole run: when `epochs` passes would exceed it,
   * fewer are made (at least one). Keeps a large log (long baskets) from training for many minutes.
   * Default 5M (~30 s here).
   */
  maxPairs?: number;
  /** Start learning rate, decayed linearly to 1e-4 of it. Default 0.3 with adagrad, 0.025 (word2vec's) with sgd. */
  learningRate?: number;
  /** Pairs per step. Default 1024. */
  batchSize?: number;
  /**
   * How a batch's summed row gradients are applied: plain SGD, or row-wise Adagrad (one squared-
   * gradient accumulator per row), which damps items that recur in every batch (popular contexts
   * and negatives) and lets the learning rate be much higher without diverging. Default 'adagrad'.
   */
  optimizer?: 'sgd' | 'adagrad';
  /** Frequent-item subsampling threshold t (word2vec): keep probability (sqrt(f/t) + 1) t/f. 0 disables. Default 1e-3. */
  subsample?: number;
  /** Final vectors: the input embeddings, or input + output. Default 'input'. */
  output?: 'input' | 'sum';
  /**
   * One table for centers and contexts (u·u' instead of u·v'): trains the symmetric similarity the
   * engine's single vector space uses. Default true: on yoochoose-sample it ranks next clicks
   * better than the input (or input + output) vectors of two tables.
   */
  tied?: boolean;
  engine?: SkipGramEngineName;
  /** Seeds initialisation, sampling and shuffles. Default 1. */
  seed?: number;
  /** Called at most every `progressIntervalMs` and once at the end of each epoch. */
  onProgress?: (progress: Item2VecProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

export interface Item2VecProgress {
  epoch: number;
  epochs: number;
  /** Pairs trained so far, over all epochs. */
  pairs: number;
  /** Estimate of all pairs of the run (epoch 1's count x epochs). */
  totalPairs: number;
  /** Mean loss per pair over the last progress interval. */
  loss: number;
  pairsPerSecond: number;
  etaSeconds: number;
}

export interface Item2VecResult {
  /** Passes made: `epochs`, or fewer to stay within `maxPairs`. */
  epochs: number;
  /** items x dimension, unit rows (see `output`). */
  vectors: Float32Array;
  inputTable: Float32Array;
  outputTable: Float32Array;
  dimension: number;
  pairs: number;
  /** Mean loss per pair of each epoch. */
  epochLosses: number[];
  seconds: number;
  pairsPerSecond: number;
}

type Resolved = Required<Omit<Item2VecOptions, 'onProgress' | 'signal'>>;

export function resolveItem2VecOptions(options: Item2VecOptions): Resolved {
  const o: Resolved = {
    dimension: options.dimension ?? 64,
    window: options.window ?? 3,
    negatives: options.negatives ?? 5,
    epochs: options.epochs ?? 20,
    maxPairs: options.maxPairs ?? 5_000_000,
    learningRate: options.learningRate ?? ((options.optimizer ?? 'adagrad') === 'adagrad' ? 0.3 : 0.025),
    batchSize: options.batchSize ?? 1024,
    optimizer: options.optimizer ?? 'adagrad',
    subsample: options.subsample ?? 1e-3,
    output: options.output ?? 'input',
    tied: options.tied ?? true,
    engine: options.engine ?? 'tfjs',
    seed: options.seed ?? 1,
    progressIntervalMs: options.progressIntervalMs ?? 500,
  };
  const int = (name: keyof Resolved, min: number, max: number): void => {
    const value = o[name] as number;
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  };
  int('dimension', 1, 4096);
  int('window', 1, 50);
  int('negatives', 1, 100);
  int('epochs', 1, 10_000);
  int('batchSize', 1, 1 << 20);
  int('maxPairs', 1, Number.MAX_SAFE_INTEGER);
  int('seed', 0, 0xffffffff);
  if (!(o.learningRate > 0 && o.learningRate <= 10)) throw new RangeError(`learningRate must be in (0, 10], got ${o.learningRate}`);
  if (!(o.subsample >= 0 && o.subsample < 1)) throw new RangeError(`subsample must be in [0, 1), got ${o.subsample}`);
  if (o.output !== 'input' && o.output !== 'sum') throw new RangeError(`output must be input or sum, got ${String(o.output)}`);
  if (o.optimizer !== 'sgd' && o.optimizer !== 'adagrad')
    throw new RangeError(`optimizer must be sgd or adagrad, got ${String(o.optimizer)}`);
  if (o.engine !== 'tfjs' && o.engine !== 'typed') throw new RangeError(`engine must be tfjs or typed, got ${String(o.engine)}`);
  return o;
}

/** Trains item vectors; `tf` is needed for the tfjs engine only. Rows follow `data.itemIds`. */
export async function trainItem2Vec(data: IndexedSequences, options: Item2VecOptions = {}, tf?: TensorFlow): Promise<Item2VecResult> {
  const o = resolveItem2VecOptions(options);
  const items = data.itemIds.length;
  if (items < 2) throw new RangeError(`item2vec needs at least 2 items in sequences, got ${items}`);
  const D = o.dimension;
  const random = mulberry32(o.seed);
  const inputTable = new Float32Array(items * D);
  for (let i = 0; i < inputTable.length; i++) inputTable[i] = (random() - 0.5) / D;
  // word2vec starts the output table at zero; a tied table is the (random) input table itself.
  const outputTable = o.tied ? inputTable : new Float32Array(items * D);
  const negatives = new AliasTable(Float64Array.from(data.counts, (count) => count ** 0.75));
  const keep = keepProbabilities(data.counts, o.subsample);
  let step: StepFunction;
  if (o.engine === 'tfjs') {
    if (!tf) throw new Error('the tfjs engine needs a TensorFlow.js runtime (initTensorFlow)');
    step = tfjsStep(tf, D);
  } else {
    step = typedStep(D);
  }
  const batch = new Batch(o.batchSize, o.negatives, D);
  const inputUpdater = new RowUpdater(inputTable, items, D, o.optimizer);
  // A tied table takes center and context gradients through one updater (summed per row).
  const outputUpdater = o.tied ? inputUpdater : new RowUpdater(outputTable, items, D, o.optimizer);

  const started = performance.now();
  let lastReport = started;
  let lastYield = started;
  let windowLoss = 0;
  let windowPairs = 0;
  let pairsDone = 0;
  let totalPairs = 0;
  const epochLosses: number[] = [];
  const report = (epoch: number, now: number): void => {
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? pairsDone / seconds : 0;
    options.onProgress?.({
      epoch,
      epochs,
      pairs: pairsDone,
      totalPairs,
      loss: windowPairs > 0 ? windowLoss / windowPairs : Number.NaN,
      pairsPerSecond: rate,
      etaSeconds: rate > 0 ? Math.max(0, totalPairs - pairsDone) / rate : Number.NaN,
    });
    windowLoss = 0;
    windowPairs = 0;
    lastReport = now;
  };

  let epochs = o.epochs;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const pairs = epochPairs(data, o.window, keep, random);
    if (epoch === 1) {
      epochs = Math.max(1, Math.min(o.epochs, Math.floor(o.maxPairs / Math.max(1, pairs.count))));
      totalPairs = pairs.count * epochs;
    }
    let epochLoss = 0;
    for (let start = 0; start < pairs.count; start += o.batchSize) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
      const count = Math.min(o.batchSize, pairs.count - start);
      // Linear decay over the whole run, by pairs done (word2vec), floored at 1e-4 of the start.
      const progress = totalPairs > 0 ? pairsDone / totalPairs : 1;
      const lr = o.learningRate * Math.max(1e-4, 1 - progress);
      batch.fill(pairs, start, count, negatives, inputTable, outputTable, random);
      const loss = step(batch, count);
      batch.collect(count, inputUpdater, outputUpdater);
      inputUpdater.flush(lr);
      if (outputUpdater !== inputUpdater) outputUpdater.flush(lr);
      if (!Number.isFinite(loss)) throw new RangeError(`item2vec diverged at epoch ${epoch} (loss ${loss}); lower the learning rate`);
      epochLoss += loss;
      windowLoss += loss;
      windowPairs += count;
      pairsDone += count;
      const now = performance.now();
      if (now - lastReport >= o.progressIntervalMs) report(epoch, now);
      if (now - lastYield >= 100) {
        // Lets timers, signals and I/O run during a long training.
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    epochLosses.push(pairs.count > 0 ? epochLoss / pairs.count : Number.NaN);
    if (windowPairs > 0 || epoch === epochs) report(epoch, performance.now());
  }
  const seconds = (performance.now() - started) / 1000;
  const vectors = finalVectors(inputTable, outputTable, items, D, o.output);
  return {
    epochs,
    vectors,
    inputTable,
    outputTable,
    dimension: D,
    pairs: pairsDone,
    epochLosses,
    seconds,
    pairsPerSecond: seconds > 0 ? pairsDone / seconds : 0,
  };
}

/** Unit rows of the input table (or input + output); a row that sums to zero stays the input row. */
export function finalVectors(
  inputTable: Float32Array,
  outputTable: Float32Array,
  items: number,
  D: number,
  output: 'input' | 'sum',
): Float32Array {
  const vectors = new Float32Array(items * D);
  for (let row = 0; row < items; row++) {
    const offset = row * D;
    let squared = 0;
    for (let i = 0; i < D; i++) {
      const value = inputTable[offset + i]! + (output === 'sum' ? outputTable[offset + i]! : 0);
      vectors[offset + i] = value;
      squared += value * value;
    }
    if (squared === 0) {
      for (let i = 0; i < D; i++) vectors[offset + i] = inputTable[offset + i]!;
      squared = 0;
      for (let i = 0; i < D; i++) squared += vectors[offset + i]! * vectors[offset + i]!;
    }
    const inverse = squared > 0 ? 1 / Math.sqrt(squared) : 0;
    for (let i = 0; i < D; i++) vectors[offset + i] = vectors[offset + i]! * inverse;
  }
  return vectors;
}
