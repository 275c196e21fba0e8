import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import {
  BaselineState,
  ItemKnnBaseline,
  LastItemCoOccurrenceBaseline,
  VsknnBaseline,
  createBaselines,
} from '../../scripts/eval/baselines.js';
import { REPEATS_FILTER, SHOP_FILTER } from '../../scripts/eval/method.js';
import { SessionIndex, VSKNN_DEFAULTS, itemKnnScores, vsknnScores, type VsknnOptions } from '../../scripts/eval/sknn.js';

const T0 = 1_700_000_000_000;
let n = 0;
const view = (userId: string, itemId: string): StoredEvent => {
  n++;
  return { id: `v${n}`, type: 'view', itemId, userId, ts: T0 + n, receivedAt: T0 + n };
};
const order = (userId: string, orderId: string, items: string[]): StoredEvent => {
  n++;
  return {
    id: `p${n}`,
    type: 'purchase',
    userId,
    orderId,
    items: items.map((itemId) => ({ itemId, quantity: 1, price: 1 })),
    ts: T0 + n,
    receivedAt: T0 + n,
  };
};

async function feed(methods: ReadonlyArray<{ learn(e: StoredEvent): Promise<void> }>, events: StoredEvent[]): Promise<void> {
  for (const event of events) for (const method of methods) await method.learn(event);
}

/** Item slots: x 0, y 1, z 2, w 3, v 4. */
const [X, Y, Z, W] = [0, 1, 2, 3];
const SAME: VsknnOptions = { ...VSKNN_DEFAULTS, scoreDecay: 'same' };

/** Past sessions A {x, y}, B {z, w}, C {y, w}, in that order; the current one clicked z, then y. */
function threeSessions(): { index: SessionIndex; current: number[][] } {
  const index = new SessionIndex(5);
  index.add('A', [X, Y]);
  index.add('B', [Z, W]);
  index.add('C', [Y, W]);
  return { index, current: [[Y], [Z]] };
}

describe('session index', () => {
  it('holds each session once per item, counts sessions per item, and orders sessions by their last update', () => {
    const index = new SessionIndex(4);
    index.add('s1', [0, 1]);
    index.add('s2', [1]);
    index.add('s1', [1, 2]); // 1 again, 2 new: s1 is now the most recent
    expect(Array.from(index.sessionCounts)).toEqual([1, 2, 1, 0]);
    expect(index.itemsOf(index.sessionOf('s1')!)).toEqual([0, 1, 2]);
    const holding1: number[] = [];
    index.forEachSessionOf(1, (s) => holding1.push(s));
    expect(holding1.sort()).toEqual([0, 1]);
    expect(index.recentSessionsWith([1], 10)).toEqual([0, 1]); // s1 (updated last), then s2
    expect(index.recentSessionsWith([1], 1)).toEqual([0]);
    expect(index.recentSessionsWith([0, 1, 2], 10, 0)).toEqual([1]); // s1 skipped
  });

  it('caches a co-occurrence row until a session holding its item changes', () => {
    const index = new SessionIndex(4);
    index.add('s1', [0, 1]);
    const scratch = new Int32Array(4);
    const first = index.cooccurrence(0, scratch);
    expect(index.cooccurrence(0, scratch)).toBe(first);
    index.add('s2', [2, 3]); // holds no 0: the row stays
    expect(index.cooccurrence(0, scratch)).toBe(first);
    index.add('s1', [2]); // 0 now pairs with 2
    const row = index.cooccurrence(0, scratch);
    expect(Object.fromEntries(Array.from(row.slots, (slot, e) => [slot, row.together[e]]))).toEqual({ 0: 1, 1: 1, 2: 1 });
    expect(Array.from(scratch)).toEqual([0, 0, 0, 0]);
  });

  it('compacts stale entries of a long session: every update re-lists its items once', () => {
    const index = new SessionIndex(200);
    for (let i = 0; i < 200; i++) index.add('long', [i]);
    index.add('other', [0]);
    expect(index.recentSessionsWith([0, 199], 5)).toEqual([1, 0]);
    const seen: number[] = [];
    index.forEachSessionOf(0, (s) => seen.push(s));
    expect(seen.sort()).toEqual([0, 1]);
  });
});

describe('item-knn', () => {
  // b goes with p in 3 sessions and with r in 2; p is in 10 sessions, r in 2 only.
  const events = (): StoredEvent[] => [
    ...['s1', 's2', 's3'].flatMap((s) => [view(s, 'b'), view(s, 'p')]),
    ...['s4', 's5'].flatMap((s) => [view(s, 'b'), view(s, 'r')]),
    ...Array.from({ length: 7 }, (_, i) => view(`q${i}`, 'p')),
    view('me', 'b'),
  ];

  it('ranks by session cosine, not by raw co-occurrence: the rare partner first', async () => {
    const state = new BaselineState(['b', 'p', 'r'], 'session', 'streaming');
    const knn = new ItemKnnBaseline(state);
    const last = new LastItemCoOccurrenceBaseline(state);
    await feed([knn], events());
    // n(b) = 6 (with me), n(p) = 10, n(r) = 2: cos(b, p) = 3 / sqrt(60) = 0.387, cos(b, r) = 2 / sqrt(12) = 0.577.
    const scores = itemKnnScores(state.sessions, [state.slotOf('b')!]);
    expect(scores[state.slotOf('p')!]).toBeCloseTo(3 / Math.sqrt(60), 12);
    expect(scores[state.slotOf('r')!]).toBeCloseTo(2 / Math.sqrt(12), 12);
    expect(scores[state.slotOf('b')!]).toBe(0); // never its own neighbour
    expect(await knn.recommend('me', 2, T0, REPEATS_FILTER)).toEqual(['r', 'p']);
    expect(await last.recommend('me', 2, T0, REPEATS_FILTER)).toEqual(['p', 'r']);
  });

  it('lets the support shrink (lambda 20, the reference code) favour the frequent partner again', async () => {
    const state = new BaselineState(['b', 'p', 'r'], 'session', 'streaming');
    const knn = new ItemKnnBaseline(state, 20);
    await feed([knn], events());
    // 3 / sqrt(26 * 30) = 0.107 > 2 / sqrt(26 * 22) = 0.084
    expect(await knn.recommend('me', 2, T0, REPEATS_FILTER)).toEqual(['p', 'r']);
  });

  it('with baskets, a session is an order: consecutive orders of a customer do not pair, parts of one order do', async () => {
    const state = new BaselineState(['x', 'y', 'z', 'u'], 'baskets', 'streaming');
    const knn = new ItemKnnBaseline(state);
    await feed(
      [knn],
      [order('c1', 'o1', ['x']), order('c1', 'o2', ['y']), order('c2', 'o3', ['x']), order('c2', 'o3', ['z']), order('me', 'o4', ['x'])],
    );
    const scores = itemKnnScores(state.sessions, [state.slotOf('x')!]);
    // x in o1, o3, o4; z in o3 only: 1 / sqrt(3 * 1). y never shares an order with x.
    expect(scores[state.slotOf('z')!]).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(scores[state.slotOf('y')!]).toBe(0);
    expect(state.sessions.sessions).toBe(4);
    // Popularity fills after z: y (1 event) before u (none); x bought is left out by the shop filter.
    expect(await knn.recommend('me', 3, T0, SHOP_FILTER)).toEqual(['z', 'y']);
    expect(await knn.recommend('me', 3, T0, REPEATS_FILTER)).toEqual(['z', 'x', 'y']);
  });
});

describe('v-sknn', () => {
  it('weights the current session linearly (newest 1, then 0.9) and sums neighbour similarities', () => {
    const { index, current } = threeSessions();
    // similarities: A 1/2 (y), B 0.9/2 (z), C 1/2 (y)
    const scores = vsknnScores(index, current, SAME);
    expect(scores[X]).toBeCloseTo(0.5, 12);
    expect(scores[Y]).toBeCloseTo(1.0, 12);
    expect(scores[Z]).toBeCloseTo(0.45, 12);
    expect(scores[W]).toBeCloseTo(0.95, 12);
  });

  it('divides a vote by the step of the newest shared item (div)', () => {
    const { index, current } = threeSessions();
    const scores = vsknnScores(index, current, VSKNN_DEFAULTS);
    expect(scores[Z]).toBeCloseTo(0.45 / 2, 12); // B shares z, one step back
    expect(scores[W]).toBeCloseTo(0.45 / 2 + 0.5, 12);
    expect(scores[Y]).toBeCloseTo(1.0, 12);
  });

  it('keeps the k most similar neighbours (ties: the more recent) and samples the most recent sessions', () => {
    const { index, current } = threeSessions();
    const k1 = vsknnScores(index, current, { ...SAME, k: 1 }); // A and C tie at 0.5: C is more recent
    expect(Array.from(k1)).toEqual([0, 0.5, 0, 0.5, 0]);
    const sample2 = vsknnScores(index, current, { ...SAME, sampleSize: 2 }); // C and B, not A
    expect(sample2[X]).toBe(0);
    expect(sample2[W]).toBeCloseTo(0.95, 12);
    index.add('A', [X]); // A touched again: the most recent now
    const again = vsknnScores(index, current, { ...SAME, sampleSize: 2 }); // A and C
    expect(again[X]).toBeCloseTo(0.5, 12);
    expect(again[Z]).toBe(0);
  });

  it('gives no weight to an item ten events back (linear decay reaches 0)', () => {
    const index = new SessionIndex(12);
    index.add('old', [0, 11]);
    const current = Array.from({ length: 11 }, (_, d) => [d]); // slot d clicked d events ago
    expect(vsknnScores(index, current, SAME)[11]).toBeCloseTo((1 - 0.1 * 0) / 10, 12); // shares slot 0 only
    const farOnly = new SessionIndex(12);
    farOnly.add('old', [10, 11]);
    expect(Array.from(vsknnScores(farOnly, current, SAME)).every((s) => s === 0)).toBe(true);
  });

  it('never takes the user own session as a neighbour, may list its items, and honours the filters', async () => {
    const state = new BaselineState(['x', 'y', 'z', 'w', 'v'], 'session', 'streaming');
    const vsknn = new VsknnBaseline(state, { ...SAME });
    await feed(
      [vsknn],
      [view('A', 'x'), view('A', 'y'), view('B', 'z'), view('B', 'w'), view('C', 'y'), view('C', 'w'), view('me', 'z'), view('me', 'y')],
    );
    // As threeSessions: y 1.0, w 0.95, x 0.5, z 0.45; me's own session (z, y) would add 0.95 to y and z.
    expect(await vsknn.recommend('me', 5, T0, REPEATS_FILTER)).toEqual(['y', 'w', 'x', 'z']);
    expect(await vsknn.recommend('me', 5, T0, SHOP_FILTER)).toEqual(['w', 'x']); // y and z seen; v, never seen, has no score to fill with
  });

  it('with baskets, the current session is the customer’s newest orders, one position each', async () => {
    const state = new BaselineState(['p', 'q', 'r', 's'], 'baskets', 'streaming');
    const vsknn = new VsknnBaseline(state);
    await feed([vsknn], [order('c1', 'X', ['q', 'r']), order('c2', 'Y', ['p', 's']), order('me', 'o1', ['p']), order('me', 'o2', ['q'])]);
    // q weighs 1, p 0.9: X 1/2 (step 1), Y 0.45 (step 2), me's own o2 1/2 (step 1) and o1 0.45 (step 2), div.
    const scores = vsknnScores(state.sessions, state.user('me')!.events, VSKNN_DEFAULTS);
    expect(scores[state.slotOf('q')!]).toBeCloseTo(1.0, 12);
    expect(scores[state.slotOf('r')!]).toBeCloseTo(0.5, 12);
    expect(scores[state.slotOf('p')!]).toBeCloseTo(0.45, 12);
    expect(scores[state.slotOf('s')!]).toBeCloseTo(0.225, 12);
    expect(await vsknn.recommend('me', 4, T0, REPEATS_FILTER)).toEqual(['q', 'r', 'p', 's']);
    expect(await vsknn.recommend('me', 4, T0, SHOP_FILTER)).toEqual(['r', 's']);
  });

  it('refuses a state without the session index', () => {
    expect(() => new VsknnBaseline(new BaselineState(['a'], 'session', 'streaming', 50, { sessions: false }))).toThrow(RangeError);
  });

  it('learns the held-out stream in streaming mode and not in static mode', async () => {
    for (const mode of ['streaming', 'static'] as const) {
      const methods = createBaselines(['a', 'b', 'c', 'd'], 'session', mode);
      const [itemKnn, vsknn] = [methods.find((m) => m.name === 'item-knn')!, methods.find((m) => m.name === 'v-sknn')!];
      await feed(methods, [view('t1', 'a'), view('t1', 'b')]);
      for (const m of methods) m.endTraining?.();
      // Held out: another session pairs a with c, twice; then the user clicks a.
      await feed(methods, [view('h1', 'a'), view('h1', 'c'), view('h2', 'a'), view('h2', 'c'), view('me', 'a')]);
      const knnList = await itemKnn.recommend('me', 1, T0, SHOP_FILTER);
      const vsknnList = await vsknn.recommend('me', 1, T0, SHOP_FILTER);
      // streaming: cos(a, c) = 2 / sqrt(4 * 2) > cos(a, b) = 1 / sqrt(4 * 1); static: only t1 is known.
      expect([mode, knnList, vsknnList]).toEqual([mode, mode === 'streaming' ? ['c'] : ['b'], mode === 'streaming' ? ['c'] : ['b']]);
    }
  });
});
