import { describe, expect, it } from 'vitest';
import { initTensorFlow } from '../../models/backend.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { AliasTable, trainItem2Vec, type Item2VecOptions } from '../../models/item2vec.js';
import { buildSequences, indexSequences, type InteractionEvent, type IndexedSequences } from '../../models/sequences.js';

/**
 * Sessions that stay inside one of `groups` item groups (ids `<g>-<n>`); every item is equally
 * frequent overall, so only co-occurrence separates the groups.
 */
function groupedSessions(groups: string[], perGroup: number, sessions: number, seed: number): InteractionEvent[] {
  const random = mulberry32(seed);
  const events: InteractionEvent[] = [];
  let ts = Date.UTC(2025, 0, 1);
  for (let s = 0; s < sessions; s++) {
    const group = groups[s % groups.length]!;
    for (let i = 0; i < 5; i++) {
      events.push({ userId: `u${s}`, type: 'view', itemId: `${group}-${Math.floor(random() * perGroup)}`, ts: (ts += 60_000) });
    }
  }
  return events;
}

function cosine(vectors: Float32Array, D: number, a: number, b: number): number {
  let dot = 0;
  for (let i = 0; i < D; i++) dot += vectors[a * D + i]! * vectors[b * D + i]!;
  return dot; // rows are unit length
}

/** Mean cosine over pairs of distinct items in the same group and in different groups. */
function groupCosines(data: IndexedSequences, vectors: Float32Array, D: number): { within: number; across: number } {
  let within = 0;
  let withinCount = 0;
  let across = 0;
  let acrossCount = 0;
  const groupOf = data.itemIds.map((id) => id.split('-')[0]);
  for (let a = 0; a < data.itemIds.length; a++) {
    for (let b = a + 1; b < data.itemIds.length; b++) {
      const c = cosine(vectors, D, a, b);
      if (groupOf[a] === groupOf[b]) {
        within += c;
        withinCount++;
      } else {
        across += c;
        acrossCount++;
      }
    }
  }
  return { within: within / withinCount, across: across / acrossCount };
}

const data = indexSequences(buildSequences(groupedSessions(['a', 'b', 'c'], 10, 600, 5)).sequences);

describe('AliasTable', () => {
  it('draws in proportion to the weights', () => {
    const table = new AliasTable(Float64Array.from([1, 0, 3, 6]));
    const random = mulberry32(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[table.draw(random)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 100_000).toBeCloseTo(0.1, 2);
    expect(counts[2]! / 100_000).toBeCloseTo(0.3, 2);
    expect(counts[3]! / 100_000).toBeCloseTo(0.6, 2);
  });

  it('rejects empty, negative and all-zero weights', () => {
    expect(() => new AliasTable(new Float64Array(0))).toThrow(RangeError);
    expect(() => new AliasTable(Float64Array.from([1, -1]))).toThrow(RangeError);
    expect(() => new AliasTable(Float64Array.from([0, 0]))).toThrow(RangeError);
  });
});

describe('trainItem2Vec', () => {
  it('runs TF.js on the wasm backend here', async () => {
    const first = await initTensorFlow();
    expect(first.backend).toBe('wasm');
    expect(first.tf.getBackend()).toBe('wasm');
    expect(await initTensorFlow()).toBe(first);
  });

  it.each<[string, Item2VecOptions]>([
    ['tfjs, adagrad, tied', { engine: 'tfjs', optimizer: 'adagrad', tied: true, learningRate: 0.3 }],
    ['tfjs, sgd, two tables, input+output', { engine: 'tfjs', optimizer: 'sgd', tied: false, output: 'sum', learningRate: 0.1 }],
    ['typed, adagrad, tied', { engine: 'typed', optimizer: 'adagrad', tied: true, learningRate: 0.3 }],
  ])('puts items that co-occur close together (%s)', async (_name, options) => {
    const { tf } = await initTensorFlow();
    const progress: number[] = [];
    const result = await trainItem2Vec(
      data,
      { dimension: 16, epochs: 8, seed: 3, ...options, progressIntervalMs: 0, onProgress: (p) => progress.push(p.loss) },
      tf,
    );
    expect(result.vectors).toHaveLength(30 * 16);
    const { within, across } = groupCosines(data, result.vectors, 16);
    expect(within).toBeGreaterThan(0.6);
    expect(within - across).toBeGreaterThan(0.5);
    // The loss goes down.
    expect(result.epochLosses[result.epochLosses.length - 1]!).toBeLessThan(result.epochLosses[0]!);
    expect(progress.length).toBeGreaterThan(3);
  });

  it('learns nothing from sessions that ignore the groups (the check above can fail)', async () => {
    const { tf } = await initTensorFlow();
    const random = mulberry32(9);
    const ids = [
      ...Array.from({ length: 10 }, (_, i) => `a-${i}`),
      ...Array.from({ length: 10 }, (_, i) => `b-${i}`),
      ...Array.from({ length: 10 }, (_, i) => `c-${i}`),
    ];
    const mixed = indexSequences(
      buildSequences(
        Array.from({ length: 3000 }, (_, n) => ({
          userId: `u${Math.floor(n / 5)}`,
          type: 'view',
          itemId: ids[Math.floor(random() * ids.length)]!,
          ts: 1 + n * 60_000,
        })),
      ).sequences,
    );
    const result = await trainItem2Vec(mixed, { dimension: 16, epochs: 8, seed: 3, tied: true, learningRate: 0.3 }, tf);
    const { within, across } = groupCosines(mixed, result.vectors, 16);
    expect(Math.abs(within - across)).toBeLessThan(0.1);
  });

  it('computes the same gradients in TF.js and in plain typed arrays', async () => {
    const { tf } = await initTensorFlow();
    const options: Item2VecOptions = { dimension: 8, epochs: 2, seed: 11, optimizer: 'sgd', learningRate: 0.05 };
    const viaTf = await trainItem2Vec(data, { ...options, engine: 'tfjs' }, tf);
    const viaLoops = await trainItem2Vec(data, { ...options, engine: 'typed' });
    let maxDifference = 0;
    for (let i = 0; i < viaTf.inputTable.length; i++)
      maxDifference = Math.max(maxDifference, Math.abs(viaTf.inputTable[i]! - viaLoops.inputTable[i]!));
    expect(maxDifference).toBeLessThan(1e-4);
    expect(viaTf.pairs).toBe(viaLoops.pairs);
    viaTf.epochLosses.forEach((loss, i) => expect(loss).toBeCloseTo(viaLoops.epochLosses[i]!, 3));
  });

  it('makes fewer epochs when the pair budget would be exceeded', async () => {
    const one = await trainItem2Vec(data, { dimension: 8, epochs: 1, engine: 'typed' });
    const capped = await trainItem2Vec(data, { dimension: 8, epochs: 10, engine: 'typed', maxPairs: Math.floor(one.pairs * 2.5) });
    expect(capped.epochs).toBe(2);
    expect(capped.epochLosses).toHaveLength(2);
    const tiny = await trainItem2Vec(data, { dimension: 8, epochs: 10, engine: 'typed', maxPairs: 1 });
    expect(tiny.epochs).toBe(1);
  });

  it('is deterministic for a seed', async () => {
    const a = await trainItem2Vec(data, { dimension: 8, epochs: 1, seed: 4, engine: 'typed' });
    const b = await trainItem2Vec(data, { dimension: 8, epochs: 1, seed: 4, engine: 'typed' });
    const c = await trainItem2Vec(data, { dimension: 8, epochs: 1, seed: 5, engine: 'typed' });
    expect(Array.from(a.vectors)).toEqual(Array.from(b.vectors));
    expect(Array.from(a.vectors)).not.toEqual(Array.from(c.vectors));
  });

  it('rejects bad options and too little data', async () => {
    await expect(trainItem2Vec(data, { window: 0 })).rejects.toThrow(RangeError);
    await expect(trainItem2Vec(data, { engine: 'tfjs' })).rejects.toThrow(/TensorFlow/);
    await expect(trainItem2Vec(indexSequences([]), {})).rejects.toThrow(/at least 2 items/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(trainItem2Vec(data, { engine: 'typed', signal: controller.signal })).rejects.toThrow('stop now');
  });
});
