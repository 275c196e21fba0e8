import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { BaselineState, createBaselines } from '../../scripts/eval/baselines.js';
import { predictionCount, type EvalDataset, type EvalStep } from '../../scripts/eval/dataset.js';
import { REPEATS_FILTER, SHOP_FILTER, type EvalMethod, type ListFilter } from '../../scripts/eval/method.js';
import { PulseMethod, attributeVectors } from '../../scripts/eval/pulse-method.js';
import { msPerLearnedEvent, msPerList, replay } from '../../scripts/eval/replay.js';
import { SharedAggregates } from '../../scripts/eval/shared-aggregates.js';
import { bareItem } from '../../scripts/eval/yoochoose.js';

const T0 = 1_700_000_000_000;
const view = (userId: string, itemId: string, ts: number, id: string): StoredEvent => ({
  id,
  type: 'view',
  itemId,
  userId,
  ts,
  receivedAt: ts,
});
const purchase = (userId: string, items: string[], ts: number, id: string): StoredEvent => ({
  id,
  type: 'purchase',
  userId,
  items: items.map((itemId) => ({ itemId, quantity: 1, price: 1 })),
  ts,
  receivedAt: ts,
});

/**
 * Two worlds of 12 items each: every session browses 4-6 items of one world, so what goes with
 * what is learnable from the stream alone (no attributes: bare items, as YooChoose).
 */
function groupedSessions(seed: number): EvalDataset {
  const random = mulberry32(seed);
  const worlds = [0, 1].map((w) => Array.from({ length: 12 }, (_, i) => `w${w}-i${i}`));
  const session = (user: string, start: number, events: StoredEvent[]): string[] => {
    const world = worlds[Math.floor(random() * 2)]!;
    const length = 4 + Math.floor(random() * 3);
    const picked: string[] = [];
    while (picked.length < length) {
      const item = world[Math.floor(random() * world.length)]!;
      if (!picked.includes(item)) picked.push(item);
    }
    picked.forEach((item, i) => events.push(view(user, item, start + i * 30_000, `${user}-${i}`)));
    return picked;
  };
  const train: StoredEvent[] = [];
  for (let s = 0; s < 300; s++) session(`s${s}`, T0 + s * 60_000, train);
  const testEvents: StoredEvent[] = [];
  for (let s = 0; s < 40; s++) session(`t${s}`, T0 + 400 * 60_000 + s * 600_000, testEvents);
  const test: EvalStep[] = testEvents.map((event, i) =>
    i > 0 && testEvents[i - 1]!.userId === event.userId
      ? { event, relevant: ['itemId' in event ? event.itemId! : ''], repeats: 0 }
      : { event },
  );
  return { name: 'grouped', protocol: 'generated', items: worlds.flat().map(bareItem), train, test, facts: {} };
}

describe('replay (test-then-learn)', () => {
  it('learns every training event first, then asks for each scored list before learning its event', async () => {
    const calls: string[] = [];
    const recorder: EvalMethod = {
      name: 'recorder',
      recommend: async (userId, k, ts, filter) => {
        calls.push(`recommend ${userId} k${k} ${ts} ${filter.name}`);
        return ['x'];
      },
      learn: async (event) => {
        calls.push(`learn ${event.id}`);
      },
      endTraining: () => calls.push('end training'),
    };
    const dataset: EvalDataset = {
      name: 'tiny',
      protocol: 'p',
      items: [bareItem('x'), bareItem('y')],
      train: [view('u', 'x', T0, 'a'), view('u', 'y', T0 + 1, 'b')],
      test: [{ event: view('v', 'x', T0 + 2, 'c') }, { event: view('v', 'y', T0 + 3, 'd'), relevant: ['y'] }],
      facts: {},
    };
    const result = await replay(dataset, [recorder], { filters: [REPEATS_FILTER, SHOP_FILTER], maxK: 5, quiet: true });
    expect(calls).toEqual([
      'learn a',
      'learn b',
      'end training',
      'learn c',
      `recommend v k5 ${T0 + 3} repeats allowed`,
      `recommend v k5 ${T0 + 3} shop filters`,
      'learn d',
    ]);
    expect(result.results.map((r) => [r.method, r.filter.name, r.all.predictions, r.all.at(5).hitRate])).toEqual([
      ['recorder', 'repeats allowed', 1, 0],
      ['recorder', 'shop filters', 1, 0],
    ]);
    // y was touched by u, not by v: a new-item target for v.
    expect(result.results[0]!.newItems.predictions).toBe(1);
    expect(result.timings[0]).toMatchObject({ method: 'recorder', lists: 2, events: 4 });
    expect(result.results.map((r) => r.lists)).toEqual([1, 1]);
  });

  it('times lists apart from learning: a slow learner costs nothing per list', async () => {
    // A fake clock: the slow learner takes exactly 20 ms of it and a list none, whatever the machine's load.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    onTestFinished(() => now.mockRestore());
    const busy = (ms: number) => {
      clock += ms;
    };
    const slowLearner: EvalMethod = {
      name: 'slow learner',
      recommend: async () => ['x'],
      learn: async () => busy(20),
    };
    const dataset: EvalDataset = {
      name: 'tiny',
      protocol: 'p',
      items: [bareItem('x')],
      train: [view('u', 'x', T0, 'a')],
      test: [{ event: view('u', 'x', T0 + 1, 'b'), relevant: ['x'] }],
      facts: {},
    };
    const { timings, results } = await replay(dataset, [slowLearner], { filters: [REPEATS_FILTER], quiet: true });
    const t = timings[0]!;
    expect(t.trainSeconds).toBeGreaterThanOrEqual(0.019);
    expect(t.learnSeconds).toBeGreaterThanOrEqual(0.019);
    expect(t.listSeconds).toBeLessThan(0.015);
    expect(t.testSeconds).toBeCloseTo(t.listSeconds + t.learnSeconds, 12);
    expect(results[0]!.listSeconds).toBe(t.listSeconds);
    expect(msPerList(t.listSeconds, t.lists)).toBeLessThan(15);
    expect(msPerLearnedEvent(t)).toBeGreaterThanOrEqual(19);
  });

  it('runs Pulse (attribute vectors, in-memory state) and the baselines on a generated stream', async () => {
    const dataset = groupedSessions(7);
    const config = loadEngineConfig({});
    const pulse = new PulseMethod({ items: dataset.items, vectors: attributeVectors(config.vectorDim), config, index: 'exact' });
    expect(pulse.indexedItems).toBe(24);
    const methods = [
      pulse,
      ...createBaselines(
        dataset.items.map((i) => i.itemId),
        'session',
        'streaming',
      ),
    ];
    const result = await replay(dataset, methods, { filters: [SHOP_FILTER], maxK: 10, quiet: true });
    const byMethod = new Map(result.results.map((r) => [r.method, r.all.at(10)]));
    const n = predictionCount(dataset);
    for (const m of byMethod.values()) expect(m.predictions).toBe(n);
    // The next item is always of the session's world: 12 items, minus the ones already seen.
    // Co-visitation learned from the stream finds the world; popularity alone cannot.
    const pulse10 = byMethod.get('pulse')!;
    expect(pulse10.hitRate).toBeGreaterThan(0.9);
    expect(pulse10.hitRate).toBeGreaterThan(byMethod.get('most popular')!.hitRate + 0.2);
    expect(byMethod.get('co-occurrence, session, recency-weighted')!.hitRate).toBeGreaterThan(0.9);
    expect(byMethod.get('item-knn')!.hitRate).toBeGreaterThan(0.9);
    expect(byMethod.get('v-sknn')!.hitRate).toBeGreaterThan(0.9);
  });

  it('scores rows that share their shop-wide aggregates exactly as rows that learn their own', async () => {
    const dataset = groupedSessions(11);
    const config = loadEngineConfig({});
    const row = (name: string, aggregates?: SharedAggregates, sources?: Array<'coVisited' | 'popular'>) =>
      new PulseMethod({
        name,
        items: dataset.items,
        vectors: attributeVectors(config.vectorDim),
        config,
        index: 'exact',
        ...(aggregates ? { aggregates } : {}),
        ...(sources ? { served: { revisits: 'hide' as const, sources } } : {}),
      });
    const shared = new SharedAggregates(config.popularityHalfLifeSeconds);
    const methods = [
      row('own', undefined),
      row('own, co-visitation', undefined, ['coVisited']),
      row('own, popularity', undefined, ['popular']),
      row('shared', shared),
      row('shared, co-visitation', shared, ['coVisited']),
      row('shared, popularity', shared, ['popular']),
    ];
    const served: ListFilter = { name: 'served', excludeRecent: 0, includeBought: true, served: true };
    const result = await replay(dataset, methods, { filters: [served, SHOP_FILTER], maxK: 10, quiet: true });
    const at10 = (method: string, filter: string) =>
      result.results.find((r) => r.method === method && r.filter.name === filter)!.all.at(10);
    for (const filter of ['served', SHOP_FILTER.name])
      for (const suffix of ['', ', co-visitation', ', popularity']) {
        expect(at10(`shared${suffix}`, filter)).toEqual(at10(`own${suffix}`, filter));
      }
    // The co-visitation row learned something: it is not an empty list scored the same twice.
    expect(at10('shared, co-visitation', 'served').hitRate).toBeGreaterThan(0.5);
  });

  it('records an event once however many rows learn it: only the first view writes', async () => {
    const shared = new SharedAggregates(3600);
    const writer = shared.view();
    const reader = shared.view();
    const update = { items: [['a', 1]] as Array<[string, number]>, pairs: [['a', 'b', 1]] as Array<[string, string, number]>, ts: T0 };
    expect(await writer.record('e1', update)).toBe(true);
    expect(await reader.record('e1', update)).toBe(true);
    expect(await reader.recordMany('batch', [update, update])).toBe(true);
    expect(await reader.coVisited('a', 10)).toEqual([['b', 1]]);
    expect(await writer.coVisited('b', 10)).toEqual([['a', 1]]);
    expect(await reader.popular(10)).toEqual([['a', 1]]);
    expect(await reader.wasRecorded('e1')).toBe(true);
    expect(await reader.wasRecorded('batch')).toBe(false);
  });

  it('gives Pulse the event time as now: a list after a 31-minute gap is no longer seeded by the session', async () => {
    const config = loadEngineConfig({});
    const items = ['a', 'b', 'c', 'd'].map(bareItem);
    // Seeds from the session only (the served ranking seeds from the whole history, where time does not matter).
    const pulse = new PulseMethod({
      items,
      vectors: attributeVectors(config.vectorDim),
      config,
      index: 'exact',
      recommender: { coVisitSeedScope: 'session' },
    });
    // Others pair a with b; nobody pairs a with c or d; d is the most popular.
    let n = 0;
    for (let u = 0; u < 5; u++) {
      await pulse.learn(view(`o${u}`, 'a', T0 + u, `e${n++}`));
      await pulse.learn(view(`o${u}`, 'b', T0 + u + 10, `e${n++}`));
      for (let r = 0; r < 3; r++) await pulse.learn(view(`p${u}-${r}`, 'd', T0 + u + 20, `e${n++}`));
    }
    await pulse.learn(view('me', 'a', T0 + 1000, 'mine'));
    const filter: ListFilter = { name: 'f', excludeRecent: 1, includeBought: false };
    expect((await pulse.recommend('me', 1, T0 + 2000, filter))[0]).toBe('b');
    const later = T0 + 1000 + 31 * 60_000;
    expect((await pulse.recommend('me', 3, later, filter)).indexOf('b')).toBeGreaterThan(0);
  });
});

describe('baselines', () => {
  it('counts session co-occurrence once per pair and session, and baskets with the previous basket', () => {
    const session = new BaselineState(['a', 'b', 'c', 'd'], 'session', 'streaming');
    [view('s', 'a', T0, '1'), view('s', 'b', T0 + 1, '2'), view('s', 'a', T0 + 2, '3'), view('s', 'c', T0 + 3, '4')].forEach((e) =>
      session.learn(e),
    );
    const pair = (state: BaselineState, x: string, y: string) => state.cooccurrence[state.slotOf(x)! * state.size + state.slotOf(y)!];
    expect([
      pair(session, 'a', 'b'),
      pair(session, 'b', 'a'),
      pair(session, 'a', 'c'),
      pair(session, 'b', 'c'),
      pair(session, 'a', 'd'),
    ]).toEqual([1, 1, 1, 1, 0]);
    expect(Array.from(session.popularity)).toEqual([2, 1, 1, 0]);

    const baskets = new BaselineState(['a', 'b', 'c', 'd'], 'baskets', 'streaming');
    [purchase('c', ['a', 'b'], T0, 'i1'), purchase('c', ['c'], T0 + 1, 'i2'), purchase('c', ['d'], T0 + 2, 'i3')].forEach((e) =>
      baskets.learn(e),
    );
    // a-b in one basket; c follows a and b; d follows c only (not the basket before it).
    expect([
      pair(baskets, 'a', 'b'),
      pair(baskets, 'a', 'c'),
      pair(baskets, 'b', 'c'),
      pair(baskets, 'c', 'd'),
      pair(baskets, 'a', 'd'),
    ]).toEqual([1, 1, 1, 1, 0]);
  });

  it('applies the shop filters to every baseline, and freezes counts in static mode', async () => {
    const [popular, last, sessionCo] = createBaselines(['a', 'b', 'c'], 'session', 'static');
    const all = [popular!, last!, sessionCo!];
    for (const e of [view('x', 'a', T0, '1'), view('x', 'b', T0 + 1, '2'), view('y', 'a', T0 + 2, '3'), purchase('me', ['a'], T0 + 3, '4')])
      for (const m of all) await m.learn(e);
    for (const m of all) m.endTraining!();
    expect(await popular!.recommend('me', 3, T0, SHOP_FILTER)).toEqual(['b']); // a bought and recent
    expect(await popular!.recommend('me', 3, T0, REPEATS_FILTER)).toEqual(['a', 'b']);
    expect(await last!.recommend('me', 3, T0, SHOP_FILTER)).toEqual(['b']);
    expect(await sessionCo!.recommend('nobody', 2, T0, REPEATS_FILTER)).toEqual(['a', 'b']); // popularity fills
    // Frozen: c's views no longer count, but the user's own history still moves the filters.
    for (const e of [view('z', 'c', T0 + 5, '5'), view('z', 'c', T0 + 6, '6'), view('z', 'c', T0 + 7, '7')])
      for (const m of all) await m.learn(e);
    expect(await popular!.recommend('z', 3, T0, REPEATS_FILTER)).toEqual(['a', 'b']);
    expect(await popular!.recommend('z', 3, T0, { name: 'recent', excludeRecent: 1, includeBought: true })).toEqual(['a', 'b']);
  });
});
