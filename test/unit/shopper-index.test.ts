import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { AttributeVectorSource } from '../../engine/recommend/model-registry.js';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { InteractionType } from '../../engine/contracts/schemas.js';
import { normalized } from '../../engine/recommend/logic/vector-math.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import type { VectorIndex } from '../../engine/recommend/vector-index.js';
import type { ServingModel, ServingModels } from '../../engine/recommend/model-registry.js';
import { ShopperIndex } from '../../engine/recommend/shopper-index.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

const DIM = 16;

/** A serving model whose version and dimension a test can change (a model swap). */
function swappableModels(version = 'm1', dimension = DIM): ServingModels & { swap(version: string, dimension?: number): void } {
  let model = fakeModel(version, dimension);
  return {
    current: () => model,
    swap(next, nextDimension = dimension) {
      model = fakeModel(next, nextDimension);
    },
  };
}

function fakeModel(version: string, dimension: number): ServingModel {
  return { source: { version, dimension } as ServingModel['source'], index: { dimension } as VectorIndex };
}

function vectorNear(axis: number, random: () => number, dimension = DIM): Float32Array {
  const v = Float32Array.from({ length: dimension }, () => (random() - 0.5) * 0.2);
  v[axis] = 1;
  return normalized(v);
}

function shopper(vector: Float32Array | null, items: Array<[string, InteractionType]>, version = 'm1'): UserState {
  return {
    ...emptyUserState(),
    vector,
    ...(vector ? { vectorVersion: version } : {}),
    strength: vector ? 3 : 0,
    recent: items.map(([itemId, type], i) => ({ itemId, type, ts: 1_000_000 - i })),
  };
}

const adapters: Array<[string, (dimension: number) => VectorIndex]> = [
  ['ExactVectorIndex', (dimension) => new ExactVectorIndex({ dimension })],
  ['HnswVectorIndex', (dimension) => new HnswVectorIndex({ dimension, m: 12, efConstruction: 48, ef: 64, initialCapacity: 4 })],
];

describe.each(adapters)('ShopperIndex on %s', (_name, createIndex) => {
  it("returns the nearest shoppers' recent positive items, summed by similarity, never the asker's own entry", () => {
    const models = swappableModels();
    const index = new ShopperIndex({ models, createIndex, limit: 100, itemsPerShopper: 3 });
    const random = mulberry32(1);
    // Three shoppers near axis 0 who liked a-items, three near axis 5 who liked b-items.
    index.update(
      'near-1',
      shopper(vectorNear(0, random), [
        ['a1', 'view'],
        ['a2', 'purchase'],
        ['x', 'dislike'],
        ['a3', 'like'],
        ['a4', 'view'],
      ]),
    );
    index.update(
      'near-2',
      shopper(vectorNear(0, random), [
        ['a1', 'add_to_cart'],
        ['a5', 'view'],
      ]),
    );
    index.update(
      'near-3',
      shopper(vectorNear(0, random), [
        ['a1', 'click'],
        ['a1', 'view'],
        ['remove', 'remove_from_cart'],
      ]),
    );
    for (let i = 0; i < 3; i++)
      index.update(
        `far-${i}`,
        shopper(vectorNear(5, random), [
          ['b1', 'view'],
          ['b2', 'like'],
        ]),
      );
    const mine = vectorNear(0, random);
    index.update('me', shopper(mine, [['mine', 'view']]));
    expect(index.size).toBe(7);
    // Newest distinct positive items, at most 3: the dislike is skipped, the 4th item is not kept.
    expect(index.itemsOf('near-1')).toEqual(['a1', 'a2', 'a3']);
    expect(index.itemsOf('near-3')).toEqual(['a1']);

    const asked = vectorNear(0, random);
    const found = index.likedByNeighbours(asked, 'm1', 3, 'me');
    const ids = found.map(([id]) => id);
    // a1 is held by all three near shoppers: the highest sum; no b-item, no dislike, not my own item.
    expect(ids[0]).toBe('a1');
    expect(new Set(ids)).toEqual(new Set(['a1', 'a2', 'a3', 'a5']));
    expect(found[0]![1]).toBeGreaterThan(2.5);
    for (let i = 1; i < found.length; i++) expect(found[i - 1]![1]).toBeGreaterThanOrEqual(found[i]![1]);
    // Asked with the asker's own vector: without the exclusion they are their own nearest neighbour.
    expect(index.likedByNeighbours(mine, 'm1', 1)).toEqual([['mine', expect.closeTo(1, 5)]]);
    expect(index.likedByNeighbours(mine, 'm1', 1, 'me').map(([id]) => id)).not.toContain('mine');
    expect(
      index
        .likedByNeighbours(vectorNear(5, random), 'm1', 3)
        .map(([id]) => id)
        .sort(),
    ).toEqual(['b1', 'b2']);
  });

  it('drops a shopper without a vector in the serving space or without positive items', () => {
    const models = swappableModels();
    const index = new ShopperIndex({ models, createIndex, limit: 100 });
    const random = mulberry32(2);
    index.update('u', shopper(vectorNear(0, random), [['a1', 'view']]));
    expect(index.size).toBe(1);
    index.update('u', shopper(vectorNear(0, random), [['a1', 'dislike']]));
    expect(index.size).toBe(0);
    index.update('u', shopper(null, [['a1', 'view']]));
    index.update('v', shopper(vectorNear(0, random), [['a1', 'view']], 'old-model'));
    index.update('w', shopper(vectorNear(0, random, DIM + 1), [['a1', 'view']]));
    expect(index.size).toBe(0);
    expect(index.likedByNeighbours(vectorNear(0, random), 'm1', 5)).toEqual([]);
  });

  it('keeps at most `limit` shoppers, evicting the least recently updated', () => {
    const models = swappableModels();
    const index = new ShopperIndex({ models, createIndex, limit: 3 });
    const random = mulberry32(3);
    for (const id of ['s1', 's2', 's3']) index.update(id, shopper(vectorNear(0, random), [[`${id}-item`, 'view']]));
    // s1 acts again: s2 is now the least recently updated, and goes when s4 arrives.
    index.update('s1', shopper(vectorNear(0, random), [['s1-item', 'view']]));
    index.update('s4', shopper(vectorNear(0, random), [['s4-item', 'view']]));
    expect(index.size).toBe(3);
    expect(index.itemsOf('s2')).toBeUndefined();
    const items = index
      .likedByNeighbours(vectorNear(0, random), 'm1', 10)
      .map(([id]) => id)
      .sort();
    expect(items).toEqual(['s1-item', 's3-item', 's4-item']);
    // Many more: the size stays at the limit and only the newest three answer.
    for (let i = 0; i < 50; i++) index.update(`t${i}`, shopper(vectorNear(i % DIM, random), [[`t${i}-item`, 'view']]));
    expect(index.size).toBe(3);
    const all = new Set<string>();
    for (let axis = 0; axis < DIM; axis++) for (const [id] of index.likedByNeighbours(vectorNear(axis, random), 'm1', 10)) all.add(id);
    expect([...all].sort()).toEqual(['t47-item', 't48-item', 't49-item']);
  });

  it('is cleared by a model swap: old-space vectors are neither answered nor kept', () => {
    const models = swappableModels('m1');
    const index = new ShopperIndex({ models, createIndex, limit: 100 });
    const random = mulberry32(4);
    for (let i = 0; i < 5; i++) index.update(`s${i}`, shopper(vectorNear(0, random), [[`i${i}`, 'view']], 'm1'));
    expect(index.likedByNeighbours(vectorNear(0, random), 'm1', 10)).toHaveLength(5);
    models.swap('m2', 24);
    // A request still ranking on the old model gets nothing (its vector is in another space).
    expect(index.likedByNeighbours(vectorNear(0, random), 'm1', 10)).toEqual([]);
    expect(index.size).toBe(0);
    // A shopper whose state was made before the swap is not indexed; one re-derived in m2 is.
    index.update('late', shopper(vectorNear(0, random), [['old', 'view']], 'm1'));
    index.update('fresh', shopper(vectorNear(0, random, 24), [['new', 'view']], 'm2'));
    expect(index.size).toBe(1);
    expect(index.likedByNeighbours(vectorNear(0, random, 24), 'm2', 10)).toEqual([['new', expect.any(Number)]]);
  });
});

describe('ShopperIndex in the event processor', () => {
  it('is updated after every applied event (not a duplicate), and a merged visitor leaves it', async () => {
    const encoder = new ContentEncoder({ dimension: DIM });
    const items = new ExactVectorIndex({ dimension: DIM });
    for (const id of ['i1', 'i2', 'i3'])
      items.upsert(id, encoder.encodeItem({ itemId: id, title: `thing ${id}`, category: 'c', price: 1 }));
    const models: ServingModels = { current: () => ({ source: new AttributeVectorSource(encoder), index: items }) };
    const shoppers = new ShopperIndex({ models, createIndex: (dimension) => new ExactVectorIndex({ dimension }), limit: 10 });
    const processor = new EventProcessor({
      users: new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 }),
      stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
      models,
      shoppers,
      notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
      metrics: new EngineMetrics(),
      logger: pino({ level: 'silent' }),
      options: processorOptions({ retryDelayMs: 10 }),
    });
    const ts = 1_700_000_000_000;
    const view = (userId: string, id: string, itemId: string) => ({ type: 'view' as const, id, userId, itemId, ts, receivedAt: ts });
    await processor.process(view('v_1', 'e1', 'i1'));
    await processor.process(view('m_1', 'e2', 'i2'));
    await processor.process(view('v_1', 'e3', 'i3'));
    expect(shoppers.itemsOf('v_1')).toEqual(['i3', 'i1']);
    expect(shoppers.itemsOf('m_1')).toEqual(['i2']);
    shoppers.drop('v_1');
    expect(await processor.process(view('v_1', 'e3', 'i3'))).toBe('duplicate');
    expect(shoppers.itemsOf('v_1')).toBeUndefined();
    await processor.process(view('v_1', 'e4', 'i1'));
    expect(shoppers.itemsOf('v_1')).toEqual(['i1', 'i3']);
    await processor.process({ type: 'merge', fromUserId: 'v_1', id: 'merge:v_1', userId: 'm_1', ts, receivedAt: ts } as never);
    expect(shoppers.itemsOf('v_1')).toBeUndefined();
    expect(new Set(shoppers.itemsOf('m_1'))).toEqual(new Set(['i1', 'i2', 'i3']));
  });
});

describe('ShopperIndex options', () => {
  it('refuses a limit below 1', () => {
    expect(
      () => new ShopperIndex({ models: swappableModels(), createIndex: (dimension) => new ExactVectorIndex({ dimension }), limit: 0 }),
    ).toThrow(RangeError);
  });
});
