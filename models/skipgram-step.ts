import type { Tensor } from '@tensorflow/tfjs';
import type { TensorFlow } from './backend.js';
import type { AliasTable, Pairs } from './skipgram-pairs.js';

/** One skip-gram step: the gathered rows of a batch, their gradients (TF.js or typed loops), sparse row updates. */

/**
 * The gathered rows of one step and their gradients, row-major: u and gU are B x D (center input
 * rows), v and gV B x D (context output rows), n and gN B x K x D (negative output rows).
 */
export class Batch {
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

  fill(
    pairs: Pairs,
    start: number,
    count: number,
    sampler: AliasTable,
    input: Float32Array,
    output: Float32Array,
    random: () => number,
  ): void {
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
export class RowUpdater {
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
export type StepFunction = (batch: Batch, count: number) => number;

export function tfjsStep(tf: TensorFlow, D: number): StepFunction {
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
export function typedStep(D: number): StepFunction {
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
