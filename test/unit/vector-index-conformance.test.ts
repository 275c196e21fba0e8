import { beforeAll, describe, expect, it } from 'vitest';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { cosine, dot, norm } from '../../engine/recommend/logic/vector-math.js';
import { InvalidVectorError, type VectorIndex } from '../../engine/recommend/vector-index.js';
import { bruteForce, CLUSTERS, data, DIM, expectBestFirst, fill, ids, ITEMS, itemIds, near, rng } from '../helpers/vector-index-dataset.js';

// One suite, every VectorIndex: the exact fake and the HNSW adapter with both planners (the
// 'graph-first' one forces the graph path that the cost planner skips on small filtered scopes).
// Answers are checked against an oracle (test/helpers/vector-index-dataset.ts), independent of both adapters.
// HNSW-only behaviour: hnsw-vector-index.test.ts; the vector slab and vector-math: vector-math.test.ts.

interface IndexOptions {
  initialCapacity?: number;
}

const implementations: [string, (options?: IndexOptions) => VectorIndex & { scanExact: VectorIndex['scanExact'] }][] = [
  ['ExactVectorIndex', (o) => new ExactVectorIndex({ dimension: DIM, ...o })],
  ['HnswVectorIndex (cost planner)', (o) => new HnswVectorIndex({ dimension: DIM, m: 16, efConstruction: 200, ef: 50, seed: 7, ...o })],
  [
    'HnswVectorIndex (graph first)',
    (o) => new HnswVectorIndex({ dimension: DIM, m: 16, efConstruction: 200, ef: 50, seed: 7, planner: 'graph-first', ...o }),
  ],
];

describe.each(implementations)('%s', (_name, create) => {
  let index: VectorIndex;
  beforeAll(() => {
    index = create();
    fill(index, data.vectors);
  });

  it('holds what was upserted: size, has, get (a unit-length copy), remove', () => {
    const small = create();
    const v = Float32Array.from({ length: DIM }, (_, i) => i + 1);
    small.upsert('a', v);
    small.upsert(
      'b',
      Float32Array.from({ length: DIM }, (_, i) => (i % 2 ? 1 : -1)),
    );
    expect(small.size).toBe(2);
    expect(small.has('a')).toBe(true);
    expect(small.has('c')).toBe(false);

    const got = small.get('a')!;
    expect(norm(got)).toBeCloseTo(1, 6);
    expect(cosine(got, v)).toBeCloseTo(1, 6);
    v[0] = 1000; // the caller's array is not the stored one
    got[1] = 1000; // nor is the returned copy
    expect(small.get('a')![0]).toBeCloseTo(1 / norm(Float32Array.from({ length: DIM }, (_, i) => i + 1)), 6);
    expect(small.get('a')![1]).toBeLessThan(1);

    expect(small.remove('a')).toBe(true);
    expect(small.remove('a')).toBe(false);
    expect(small.size).toBe(1);
    expect(small.has('a')).toBe(false);
    expect(small.get('a')).toBeUndefined();
    expect(ids(small.search(got, 5))).toEqual(['b']);
  });

  it('rejects a bad vector with InvalidVectorError and changes nothing', () => {
    const small = create();
    const original = Float32Array.from({ length: DIM }, (_, i) => i + 1);
    small.upsert('a', original);
    const bad = [new Float32Array(DIM - 1), new Float32Array(DIM), Float32Array.from({ length: DIM }, (_, i) => (i === 3 ? NaN : 1))];
    for (const vector of bad) {
      for (const id of ['a', 'new']) {
        let thrown: unknown;
        try {
          small.upsert(id, vector);
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(InvalidVectorError);
        expect((thrown as InvalidVectorError).code).toBe('invalid_request');
      }
    }
    expect(small.size).toBe(1);
    expect(small.has('new')).toBe(false);
    expect(cosine(small.get('a')!, original)).toBeCloseTo(1, 6);
    expect(() => small.search(new Float32Array(DIM + 1), 3)).toThrow(InvalidVectorError);
    expect(() => small.search(original, -1)).toThrow(RangeError);
    expect(() => small.search(original, 1.5)).toThrow(RangeError);
  });

  it('answers [] to a query with no direction, to k = 0 and on an empty index', () => {
    expect(index.search(new Float32Array(DIM), 10)).toEqual([]);
    expect(
      index.search(
        Float32Array.from({ length: DIM }, () => NaN),
        10,
      ),
    ).toEqual([]);
    expect(index.search(data.vectors.get('item-1')!, 0)).toEqual([]);
    expect(index.scanExact(new Float32Array(DIM), 10, itemIds)).toEqual([]);
    expect(create().search(data.vectors.get('item-1')!, 10)).toEqual([]);
  });

  it('finds every sampled indexed vector first, at similarity 1', () => {
    for (let i = 0; i < ITEMS; i += 10) {
      const id = itemIds[i]!;
      const [first] = index.search(data.vectors.get(id)!, 5);
      expect(first?.id).toBe(id);
      expect(first!.similarity).toBeCloseTo(1, 5);
    }
  });

  it('returns best first, with the cosine of query and stored vector', () => {
    const query = near(data.centers[3]!, rng(1), 0.5);
    const result = index.search(query, 20);
    expect(result).toHaveLength(20);
    expectBestFirst(result);
    for (const n of result) expect(n.similarity).toBeCloseTo(cosine(query, data.vectors.get(n.id)!), 5);
  });

  it('pairSimilarity is exactly similarity(a, get(b)) and symmetric; undefined for an unknown id', () => {
    for (let i = 0; i < ITEMS; i += 37) {
      const a = itemIds[i]!;
      const b = itemIds[(i * 7 + 11) % ITEMS]!;
      const pair = index.pairSimilarity(a, b);
      expect(pair).toBe(index.similarity(a, index.get(b)!));
      expect(pair).toBe(index.pairSimilarity(b, a));
      expect(pair).toBe(Math.min(1, Math.max(-1, dot(index.get(a)!, index.get(b)!))));
      expect(pair).toBeCloseTo(cosine(data.vectors.get(a)!, data.vectors.get(b)!), 5);
    }
    expect(index.pairSimilarity(itemIds[0]!, itemIds[0]!)).toBeCloseTo(1, 6);
    expect(index.pairSimilarity(itemIds[0]!, 'missing')).toBeUndefined();
    expect(index.pairSimilarity('missing', itemIds[0]!)).toBeUndefined();
  });

  it('similarities equals similarity(id, query) bit for bit, NaN for an unknown id; writes only out[0..count)', () => {
    const random = rng(12);
    const small = create({ initialCapacity: 4 });
    for (let i = 0; i < 300; i++) small.upsert(itemIds[i]!, data.vectors.get(itemIds[i]!)!);
    for (let i = 0; i < 300; i += 7) small.remove(itemIds[i]!); // freed slots, some reused below
    for (let i = 300; i < 320; i++) small.upsert(itemIds[i]!, data.vectors.get(itemIds[i]!)!);
    const pool = [...itemIds.slice(0, 330), 'missing', 'also-missing'];
    for (let round = 0; round < 60; round++) {
      const raw = Float32Array.from({ length: DIM }, () => random() - 0.5);
      const length = norm(raw);
      // A stored vector itself (cosine at the clamp) every few rounds, else a random unit query.
      const query = round % 5 === 0 ? small.get(itemIds[301 + round / 5]!)! : raw.map((x) => x / length);
      const ids = Array.from({ length: Math.floor(random() * 40) }, () => pool[Math.floor(random() * pool.length)]!);
      const count = Math.max(0, ids.length - Math.floor(random() * 3));
      const out = new Float64Array(ids.length + 2).fill(-7);
      expect(small.similarities).toBeDefined();
      small.similarities!(ids, count, query, out);
      for (let i = 0; i < count; i++) expect(Object.is(out[i], small.similarity(ids[i]!, query) ?? Number.NaN)).toBe(true);
      for (let i = count; i < out.length; i++) expect(out[i]).toBe(-7);
    }
  });

  it('reaches recall@10 >= 0.95 against the exact answer on clustered data', () => {
    const random = rng(99);
    let hits = 0;
    const queries = 200;
    for (let q = 0; q < queries; q++) {
      const query = near(data.centers[q % CLUSTERS]!, random, 0.7);
      const truth = new Set(ids(bruteForce(data.vectors, query, 10)));
      const found = index.search(query, 10);
      expect(found).toHaveLength(10);
      hits += found.filter((n) => truth.has(n.id)).length;
    }
    expect(hits / (queries * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('applies the filter inside the search: only passing ids, still k of them', () => {
    const even = (id: string): boolean => Number(id.slice(5)) % 2 === 0;
    const random = rng(5);
    let hits = 0;
    for (let q = 0; q < 50; q++) {
      const query = near(data.centers[q % CLUSTERS]!, random, 0.7);
      const result = index.search(query, 10, even);
      expect(result).toHaveLength(10);
      expect(result.every((n) => even(n.id))).toBe(true);
      expectBestFirst(result);
      const truth = new Set(ids(bruteForce(data.vectors, query, 10, even)));
      hits += result.filter((n) => truth.has(n.id)).length;
    }
    expect(hits / 500).toBeGreaterThanOrEqual(0.95);
  });

  it('is never short when 1% of items pass, whether scattered or in one far cluster', () => {
    const query = near(data.centers[0]!, rng(11), 0.3);
    const scattered = new Set(itemIds.filter((_, i) => i % 100 === 7)); // 20 ids over all clusters
    const farCluster = new Set(itemIds.filter((id) => data.clusterOf.get(id) === 17).slice(0, 20));
    for (const allowed of [scattered, farCluster]) {
      const pass = (id: string): boolean => allowed.has(id);
      const result = index.search(query, 10, pass);
      expect(ids(result)).toEqual(ids(bruteForce(data.vectors, query, 10, pass)));
    }
  });

  it('returns every passing item when fewer than k pass, and [] when none does', () => {
    const query = data.vectors.get('item-42')!;
    const few = new Set(['item-3', 'item-1500', 'item-999']);
    const result = index.search(query, 10, (id) => few.has(id));
    expect(new Set(ids(result))).toEqual(few);
    expectBestFirst(result);
    expect(index.search(query, 10, () => false)).toEqual([]);
  });

  it('returns all items, best first, when k exceeds the size', () => {
    const query = data.vectors.get('item-7')!;
    const all = index.search(query, ITEMS + 500);
    expect(all).toHaveLength(ITEMS);
    expect(new Set(ids(all)).size).toBe(ITEMS);
    expectBestFirst(all);
    const half = (id: string): boolean => Number(id.slice(5)) < ITEMS / 2;
    expect(index.search(query, ITEMS, half)).toHaveLength(ITEMS / 2);

    const small = create();
    small.upsert('x', data.vectors.get('item-1')!);
    small.upsert('y', data.vectors.get('item-2')!);
    expect(ids(small.search(data.vectors.get('item-1')!, 50))).toEqual(['x', 'y']);
  });

  it('moves an item when its vector is replaced', () => {
    const moved = create();
    fill(moved, data.vectors);
    const id = itemIds.find((i) => data.clusterOf.get(i) === 4)!;
    const target = data.centers[9]!;
    expect(ids(moved.search(target, 10))).not.toContain(id);
    moved.upsert(id, target);
    expect(moved.size).toBe(ITEMS);
    expect(moved.search(target, 1)[0]).toMatchObject({ id });
    expect(cosine(moved.get(id)!, target)).toBeCloseTo(1, 6);
    const old = data.vectors.get(id)!;
    expect(ids(moved.search(old, 10))).not.toContain(id);
  });

  it('grows past its initial capacity', () => {
    const grown = create({ initialCapacity: 16 });
    const first = itemIds.slice(0, 600);
    for (const id of first) grown.upsert(id, data.vectors.get(id)!);
    expect(grown.size).toBe(600);
    if (grown instanceof HnswVectorIndex) expect(grown.capacity).toBeGreaterThanOrEqual(600);
    for (let i = 0; i < first.length; i += 7) {
      const id = first[i]!;
      expect(grown.search(data.vectors.get(id)!, 1)[0]?.id).toBe(id);
      expect(cosine(grown.get(id)!, data.vectors.get(id)!)).toBeCloseTo(1, 6);
    }
  });

  it('reuses removed slots without resurrecting removed ids', () => {
    const churn = create({ initialCapacity: 64 });
    const live = new Map<string, Float32Array>();
    const random = rng(123);
    for (const id of itemIds.slice(0, 800)) {
      churn.upsert(id, data.vectors.get(id)!);
      live.set(id, data.vectors.get(id)!);
    }
    const removed = itemIds.slice(0, 800).filter((_, i) => i % 2 === 1);
    for (const id of removed) {
      expect(churn.remove(id)).toBe(true);
      live.delete(id);
    }
    for (let i = 0; i < 400; i++) {
      const v = near(data.centers[i % CLUSTERS]!, random, 0.6);
      churn.upsert(`new-${i}`, v);
      live.set(`new-${i}`, v);
    }
    expect(churn.size).toBe(800);
    const gone = new Set(removed);
    for (let q = 0; q < 40; q++) {
      const query = near(data.centers[q % CLUSTERS]!, random, 0.6);
      const result = churn.search(query, 20);
      expect(result).toHaveLength(20);
      expect(result.some((n) => gone.has(n.id))).toBe(false);
    }
    for (let i = 0; i < 400; i += 9) expect(churn.search(live.get(`new-${i}`)!, 1)[0]?.id).toBe(`new-${i}`);
    expect(churn.search(data.vectors.get(removed[0]!)!, 800)).toHaveLength(800);
  });

  it('propagates an exception thrown by the filter and stays usable', () => {
    const boom = new Error('filter failed');
    const query = data.vectors.get('item-5')!;
    expect(() =>
      index.search(query, 10, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(index.search(query, 1)[0]?.id).toBe('item-5');
  });

  it('scanExact scores exactly the given ids only (unknown skipped, duplicates once)', () => {
    const scope = itemIds.filter((_, i) => i % 40 === 0); // 50 ids
    const scopeVectors = new Map(scope.map((id) => [id, data.vectors.get(id)!]));
    const query = near(data.centers[2]!, rng(3), 0.5);
    const result = index.scanExact(query, 10, [...scope, 'unknown', scope[0]!, scope[1]!]);
    const truth = bruteForce(scopeVectors, query, 10);
    expect(ids(result)).toEqual(ids(truth));
    result.forEach((n, i) => expect(n.similarity).toBeCloseTo(truth[i]!.similarity, 6));
    expect(index.scanExact(query, 100, new Set(scope))).toHaveLength(50);
    expect(index.scanExact(query, 5, [])).toEqual([]);
  });
});
