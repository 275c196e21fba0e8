import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import type { Batch } from '../../engine/stream/pipeline/batch.js';
import { MemberLookup } from '../../engine/stream/pipeline/batch.js';
import { FLUSH_SLICE, ShoppersStage } from '../../engine/recommend/shoppers-stage.js';
import type { ShopperIndex } from '../../engine/recommend/shopper-index.js';

/** The shoppers stage indexes a shopper at most once per interval, the newest state winning. */
describe('ShoppersStage', () => {
  afterEach(() => void vi.useRealTimers());

  const batchOf = (
    userId: string,
    version: number,
    events: LoggedEvent[] = [{ type: 'view', id: `e${version}`, userId, itemId: 'i', ts: 1, receivedAt: 1 }],
  ): Batch => ({
    tag: `b-${version}`,
    now: 0,
    users: [
      {
        userId,
        events: events.map((event, index) => ({ event, index, marker: null, outcome: 'applied' as const })),
        state: { ...emptyUserState(), version },
        mergeSources: new Map(),
        member: new MemberLookup(userId, undefined),
      },
    ],
  });

  it('defers a shopper indexed less than the interval ago, then indexes the newest state', async () => {
    vi.useFakeTimers();
    let now = 10_000;
    const updates: Array<[string, number]> = [];
    const dropped: string[] = [];
    const index = {
      update: (userId: string, state: { version: number }) => void updates.push([userId, state.version]),
      drop: (userId: string) => void dropped.push(userId),
    } as unknown as ShopperIndex;
    const stage = new ShoppersStage(index, { minIntervalMs: 1000, now: () => now });
    await stage.afterStore(batchOf('u', 1));
    await stage.afterStore(batchOf('u', 2));
    await stage.afterStore(batchOf('u', 3));
    expect(updates).toEqual([['u', 1]]);
    now += 1000;
    vi.advanceTimersByTime(1000);
    expect(updates).toEqual([
      ['u', 1],
      ['u', 3],
    ]);
    // A merge drops the visitor at once, deferred state and all.
    await stage.afterStore(batchOf('v', 1));
    await stage.afterStore(batchOf('v', 2));
    await stage.afterStore(batchOf('m', 1, [{ type: 'merge', id: 'merge:v', userId: 'm', fromUserId: 'v', ts: 1, receivedAt: 1 }]));
    now += 5000;
    vi.advanceTimersByTime(5000);
    expect(dropped).toEqual(['v']);
    expect(updates.filter(([id]) => id === 'v')).toEqual([['v', 1]]);
  });

  it('indexes at every batch with no interval', async () => {
    const updates: number[] = [];
    const stage = new ShoppersStage({
      update: (_: string, state: { version: number }) => void updates.push(state.version),
      drop: () => undefined,
    } as unknown as ShopperIndex);
    await stage.afterStore(batchOf('u', 1));
    await stage.afterStore(batchOf('u', 2));
    expect(updates).toEqual([1, 2]);
  });

  it('flushes many waiting shoppers in slices, yielding to the event loop between them', async () => {
    let now = 10_000;
    const updates: string[] = [];
    const index = { update: (userId: string) => void updates.push(userId), drop: () => undefined } as unknown as ShopperIndex;
    const stage = new ShoppersStage(index, { minIntervalMs: 100, now: () => now });
    const users = Array.from({ length: 3 * FLUSH_SLICE + 5 }, (_, i) => `u${i}`);
    for (const userId of users) await stage.afterStore(batchOf(userId, 1));
    for (const userId of users) await stage.afterStore(batchOf(userId, 2));
    expect(updates).toHaveLength(users.length);
    now += 100;
    // The flush timer fires; each turn indexes one slice, then yields with setImmediate. A
    // watcher looking once per turn of the loop (from before the timer fires) sees one slice at most.
    const turns: number[] = [];
    await new Promise<void>((resolve) => {
      const started = updates.length;
      const watch = (): void => {
        turns.push(updates.length - started);
        if (updates.length - started >= users.length) resolve();
        else setImmediate(watch);
      };
      setImmediate(watch);
    });
    expect(updates.slice(users.length)).toEqual(users);
    // Never more than one slice between two looks of the watcher. (The watcher spins until the
    // flush timer fires: turns may hold ~1e5 entries, too many to spread into Math.max.)
    const largestStep = turns.reduce((largest, count, i) => Math.max(largest, count - (turns[i - 1] ?? 0)), 0);
    expect(largestStep).toBeLessThanOrEqual(FLUSH_SLICE);
    expect(turns.length).toBeGreaterThanOrEqual(Math.ceil(users.length / FLUSH_SLICE));
  });
});
