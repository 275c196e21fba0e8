import type { Tensor } from '@tensorflow/tfjs';
import type { TensorFlow } from './backend.js';
import { mulberry32 } from './content-encoder.js';
import type { IndexedSequences } from './sequences.js';

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
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
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
  if (o.optimizer !== 'sgd' && o.optimizer !== 'adagrad') throw new RangeError(`optimizer must be sgd or adagrad, got ${String(o.optimizer)}`);
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
  const negatives = new AliasTable(Float64Array.from(data.counts, (count) => Math.pow(count, 0.75)));
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
  return { epochs, vectors, inputTable, outputTable, dimension: D, pairs: pairsDone, epochLosses, seconds, pairsPerSecond: seconds > 0 ? pairsDone / seconds : 0 };
}

/** Unit rows of the input table (or input + output); a row that sums to zero stays the input row. */
export function finalVectors(inputTable: Float32Array, outputTable: Float32Array, items: number, D: number, output: 'input' | 'sum'): Float32Array {
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

/** Word2vec subsampling: a position of row r is kept with probability min(1, (sqrt(f/t) + 1) t/f). */
function keepProbabilities(counts: Float64Array, t: number): Float64Array {
  const keep = new Float64Array(counts.length).fill(1);
  if (t <= 0) return keep;
  let total = 0;
  for (const count of counts) total += count;
  for (let row = 0; row < counts.length; row++) {
    const f = counts[row]! / total;
    if (f > 0) keep[row] = Math.min(1, (Math.sqrt(f / t) + 1) * (t / f));
  }
  return keep;
}

interface Pairs {
  centers: Int32Array;
  contexts: Int32Array;
  count: number;
}

/**
 * One epoch's (center, context) pairs in random order: per sequence, baskets shuffled internally,
 * frequent items subsampled, then every center pairs with the positions within a window drawn
 * from 1..window (nearer contexts count more on average, as in word2vec).
 */
function epochPairs(data: IndexedSequences, window: number, keep: Float64Array, random: () => number): Pairs {
  let centers: Int32Array = new Int32Array(Math.max(1024, data.positions * window));
  let contexts: Int32Array = new Int32Array(centers.length);
  let count = 0;
  const kept: number[] = [];
  for (const { rows, groupStarts } of data.sequences) {
    const order = Int32Array.from(rows);
    for (let g = 0; g < groupStarts.length; g++) {
      const from = groupStarts[g]!;
      const to = g + 1 < groupStarts.length ? groupStarts[g + 1]! : order.length;
      for (let i = to - 1; i > from; i--) {
        const j = from + Math.floor(random() * (i - from + 1));
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
      }
    }
    kept.length = 0;
    for (const row of order) if (keep[row]! >= 1 || random() < keep[row]!) kept.push(row);
    for (let i = 0; i < kept.length; i++) {
      const reach = 1 + Math.floor(random() * window);
      const lo = Math.max(0, i - reach);
      const hi = Math.min(kept.length - 1, i + reach);
      for (let j = lo; j <= hi; j++) {
        if (j === i || kept[j] === kept[i]) continue;
        if (count === centers.length) {
          centers = grow(centers);
          contexts = grow(contexts);
        }
        centers[count] = kept[i]!;
        contexts[count] = kept[j]!;
        count++;
      }
    }
  }
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const c = centers[i]!;
    centers[i] = centers[j]!;
    centers[j] = c;
    const x = contexts[i]!;
    contexts[i] = contexts[j]!;
    contexts[j] = x;
  }
  return { centers, contexts, count };
}

function grow(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Walker's alias method: O(1) draws from a discrete distribution (here unigram^0.75).
 * Exported for tests.
 */
export class AliasTable {
  private readonly probability: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    if (n === 0) throw new RangeError('alias table needs at least one weight');
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias weights must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('alias weights sum to zero');
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.probability[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      this.probability[i] = 1;
      this.alias[i] = i;
    }
  }

  draw(random: () => number): number {
    const i = Math.floor(random() * this.probability.length);
    return random() < this.probability[i]! ? i : this.alias[i]!;
  }
}

/**
 * The gathered rows of one step and their gradients, row-major: u and gU are B x D (center input
 * rows), v and gV B x D (context output rows), n and gN B x K x D (negative output rows).
 */
class Batch {
  readonly centers: Int32Array;
  readonly contexts: Int32Array;
  readonly negatives: Int32Array;
  readonly u: Float32Array;
  readonly v: Float32Array;
  readonly n: Float32Array;
  readonly gU: Float32Array;
  readonly gV: Float32Array;
  readonly gN: Float32Array;

  constructor(
    readonly size: number,
    readonly K: number,
    readonly D: number,
  ) {
    this.centers = new Int32Array(size);
    this.contexts = new Int32Array(size);
    this.negatives = new Int32Array(size * K);
    this.u = new Float32Array(size * D);
    this.v = new Float32Array(size * D);
    this.n = new Float32Array(size * K * D);
    this.gU = new Float32Array(size * D);
    this.gV = new Float32Array(size * D);
    this.gN = new Float32Array(size * K * D);
  }

  fill(pairs: Pairs, start: number, count: number, sampler: AliasTable, input: Float32Array, output: Float32Array, random: () => number): void {
    const { D, K } = this;
    for (let b = 0; b < count; b++) {
      const center = pairs.centers[start + b]!;
      const context = pairs.contexts[start + b]!;
      this.centers[b] = center;
      this.contexts[b] = context;
      this.u.set(input.subarray(center * D, center * D + D), b * D);
      this.v.set(output.subarray(context * D, context * D + D), b * D);
      for (let k = 0; k < K; k++) {
        let negative = sampler.draw(random);
        // One redraw when the negative is the context itself (word2vec skips those).
        if (negative === context) negative = sampler.draw(random);
        this.negatives[b * K + k] = negative;
        this.n.set(output.subarray(negative * D, negative * D + D), (b * K + k) * D);
      }
    }
  }

  /** Hands every row gradient of the batch to the updaters, which sum them per row. */
  collect(count: number, input: RowUpdater, output: RowUpdater): void {
    const { D, K } = this;
    for (let b = 0; b < count; b++) {
      input.add(this.centers[b]!, this.gU, b * D);
      output.add(this.contexts[b]!, this.gV, b * D);
      for (let k = 0; k < K; k++) output.add(this.negatives[b * K + k]!, this.gN, (b * K + k) * D);
    }
  }
}

/**
 * Sparse updates of one table: gradients of a step are summed per row (a row repeated in the
 * batch gets the sum), then each touched row moves once: SGD `row -= lr * g`, or row-wise Adagrad
 * `G_row += mean(g^2); row -= lr * g / sqrt(G_row)`.
 */
class RowUpdater {
  private readonly sum: Float32Array;
  /** Step number in which a row was last touched; 0 = never. */
  private readonly stamp: Int32Array;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private step = 1;
  /** Row-wise Adagrad accumulators, started at 0.1 (as TF's Adagrad) so first steps stay bounded. */
  private readonly squared: Float32Array | undefined;

  constructor(
    private readonly table: Float32Array,
    rows: number,
    private readonly D: number,
    kind: 'sgd' | 'adagrad',
  ) {
    this.sum = new Float32Array(rows * D);
    this.stamp = new Int32Array(rows);
    this.touched = new Int32Array(rows);
    this.squared = kind === 'adagrad' ? new Float32Array(rows).fill(0.1) : undefined;
  }

  add(row: number, gradient: Float32Array, offset: number): void {
    const { D } = this;
    const base = row * D;
    if (this.stamp[row] !== this.step) {
      this.stamp[row] = this.step;
      this.touched[this.touchedCount++] = row;
      for (let i = 0; i < D; i++) this.sum[base + i] = gradient[offset + i]!;
    } else {
      for (let i = 0; i < D; i++) this.sum[base + i]! += gradient[offset + i]!;
    }
  }

  flush(lr: number): void {
    const { D, table, sum, squared } = this;
    for (let t = 0; t < this.touchedCount; t++) {
      const base = this.touched[t]! * D;
      let scale = lr;
      if (squared) {
        let meanSquare = 0;
        for (let i = 0; i < D; i++) meanSquare += sum[base + i]! * sum[base + i]!;
        const row = this.touched[t]!;
        squared[row]! += meanSquare / D;
        scale = lr / Math.sqrt(squared[row]!);
      }
      for (let i = 0; i < D; i++) table[base + i]! -= scale * sum[base + i]!;
    }
    this.touchedCount = 0;
    this.step++;
  }
}

/** Computes the batch's summed loss and fills gU, gV, gN for its first `count` pairs. */
type StepFunction = (batch: Batch, count: number) => number;

function tfjsStep(tf: TensorFlow, D: number): StepFunction {
  // loss(u, v, n) = Σ_b softplus(-u_b·v_b) + Σ_b Σ_k softplus(u_b·n_bk). softplus, not logSigmoid:
  // the latter's gradient crashes on wasm.
  const lossAndGrads = tf.valueAndGrads((u: Tensor, v: Tensor, n: Tensor) => {
    const positive = tf.sum(tf.mul(u, v), 1);
    const negative = tf.sum(tf.mul(tf.expandDims(u, 1), n), 2);
    return tf.add(tf.sum(tf.softplus(tf.neg(positive))), tf.sum(tf.softplus(negative)));
  });
  return (batch, count) => {
    const K = batch.K;
    let loss = 0;
    tf.tidy(() => {
      const u = tf.tensor2d(batch.u.subarray(0, count * D), [count, D]);
      const v = tf.tensor2d(batch.v.subarray(0, count * D), [count, D]);
      const n = tf.tensor3d(batch.n.subarray(0, count * K * D), [count, K, D]);
      const { value, grads } = lossAndGrads([u, v, n]);
      loss = value.dataSync()[0]!;
      batch.gU.set(grads[0]!.dataSync() as Float32Array);
      batch.gV.set(grads[1]!.dataSync() as Float32Array);
      batch.gN.set(grads[2]!.dataSync() as Float32Array);
    });
    return loss;
  };
}

/** The same gradients as tfjsStep with plain loops (for the speed comparison only). */
function typedStep(D: number): StepFunction {
  return (batch, count) => {
    const { u, v, n, gU, gV, gN, K } = batch;
    let loss = 0;
    for (let b = 0; b < count; b++) {
      const uo = b * D;
      gU.fill(0, uo, uo + D);
      // d softplus(-s)/ds = -σ(-s); d softplus(t)/dt = σ(t).
      const s = dot(u, uo, v, uo, D);
      loss += softplus(-s);
      const gs = -sigmoid(-s);
      for (let i = 0; i < D; i++) {
        gU[uo + i]! += gs * v[uo + i]!;
        gV[uo + i] = gs * u[uo + i]!;
      }
      for (let k = 0; k < K; k++) {
        const no = (b * K + k) * D;
        const t = dot(u, uo, n, no, D);
        loss += softplus(t);
        const gt = sigmoid(t);
        for (let i = 0; i < D; i++) {
          gU[uo + i]! += gt * n[no + i]!;
          gN[no + i] = gt * u[uo + i]!;
        }
      }
    }
    return loss;
  };
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, D: number): number {
  let sum = 0;
  for (let i = 0; i < D; i++) sum += a[ao + i]! * b[bo + i]!;
  return sum;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(1 + e^x), stable for large |x|. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
