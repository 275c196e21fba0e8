import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import type { Batch } from '../../engine/stream/pipeline/batch.js';
import { MemberLookup } from '../../engine/stream/pipeline/batch.js';
import { FLUSH_SLICE, HISTORY_IDLE_MS, ShoppersStage, isHistory } from '../../engine/recommend/shoppers-stage.js';
import type { ShopperIndex } from '../../engine/recommend/shopper-index.js';

/** A shopper index that records what reaches it: `entryOf` keeps the state, so `put` sees its version. */
function recordingIndex(
  onUpdate: (userId: string, version: number) => void,
  onDrop: (userId: string) => void = () => undefined,
): ShopperIndex {
  const put = (userId: string, state: { version: number }) => onUpdate(userId, state.version);
  return { update: put, put, entryOf: (state: unknown) => state, drop: onDrop } as unknown as ShopperIndex;
}

/** The shoppers stage indexes a shopper at most once per interval, the newest state winning. */
describe('ShoppersStage', () => {
  afterEach(() => void vi.useRealTimers());

  const batchOf = (
    userId: string,
    version: number,
    events: LoggedEvent[] = [{ type: 'view', id: `e${version}`, userId, itemId: 'i', ts: 1, receivedAt: 1 }],
    now = 0,
  ): Batch => ({
    tag: `b-${version}`,
    now,
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
    const index = recordingIndex(
      (userId, version) => void updates.push([userId, version]),
      (userId) => void dropped.push(userId),
    );
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
    const stage = new ShoppersStage(recordingIndex((_, version) => void updates.push(version)));
    await stage.afterStore(batchOf('u', 1));
    await stage.afterStore(batchOf('u', 2));
    expect(updates).toEqual([1, 2]);
  });

  it('flushes many waiting shoppers in slices, yielding to the event loop between them', async () => {
    let now = 10_000;
    const updates: string[] = [];
    const index = recordingIndex((userId) => void updates.push(userId));
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

  describe('history (events older than pushMaxAgeMs)', () => {
    // Accepted long ago (a replay), or accepted now with a past `ts` (an import): both history.
    const history = (userId: string, version: number): Batch =>
      batchOf(
        userId,
        version,
        [{ type: 'view', id: `h${version}`, userId, itemId: 'i', ts: version % 2 ? 1 : 999_990, receivedAt: version % 2 ? 999_990 : 1 }],
        1_000_000,
      );
    const live = (userId: string, version: number): Batch =>
      batchOf(userId, version, [{ type: 'view', id: `l${version}`, userId, itemId: 'i', ts: 999_980, receivedAt: 999_990 }], 1_000_000);

    /** A stage with a live interval of 1 s and history's of 60 s, on fake timers and a clock the test moves. */
    const historyStage = () => {
      vi.useFakeTimers();
      const clock = { now: 10_000 };
      const updates: Array<[string, number]> = [];
      const stage = new ShoppersStage(
        recordingIndex((userId, version) => void updates.push([userId, version])),
        { minIntervalMs: 1000, backlogIntervalMs: 60_000, pushMaxAgeMs: 60_000, now: () => clock.now },
      );
      return { stage, updates, clock };
    };

    it('history is what was accepted or made longer ago than the window', () => {
      expect(isHistory({ ts: 1000, receivedAt: 1000 }, 1000 + 60_000, 60_000)).toBe(false);
      expect(isHistory({ ts: 999, receivedAt: 1000 }, 1000 + 60_000, 60_000)).toBe(true);
      expect(isHistory({ ts: 1000, receivedAt: 999 }, 1000 + 60_000, 60_000)).toBe(true);
    });

    it('waits the longer interval, first state included, and indexes the newest state once', async () => {
      const { stage, updates, clock } = historyStage();
      for (let version = 1; version <= 5; version++) await stage.afterStore(history('h', version));
      expect(updates).toEqual([]);
      expect(stage.waiting).toBe(1);
      // The import goes on (another shopper's history every second): 'h' waits the whole interval.
      const tick = async (ms: number) => {
        for (let t = 0; t < ms; t += 1000) {
          clock.now += 1000;
          await stage.afterStore(history('x', 100 + clock.now / 1000));
          vi.advanceTimersByTime(1000);
        }
      };
      await tick(59_000);
      expect(updates).toEqual([]);
      await tick(3000);
      expect(updates[0]).toEqual(['h', 5]);
      // 'x' (first seen a second after 'h') is due now too, and indexed once per interval.
      await tick(30_000);
      expect(updates.filter(([id]) => id === 'h')).toEqual([['h', 5]]);
      expect(updates.filter(([id]) => id === 'x')).toHaveLength(1);
      expect(stage.waiting).toBe(1); // 'x' again
      // The import is over: what it left waiting is indexed once no history came for HISTORY_IDLE_MS.
      clock.now += HISTORY_IDLE_MS;
      vi.advanceTimersByTime(HISTORY_IDLE_MS);
      expect(updates.filter(([id]) => id === 'x')).toHaveLength(2);
      expect(stage.waiting).toBe(0);
      updates.length = 0;
      // A live shopper is still indexed at once, and at most once per the live interval.
      await stage.afterStore(live('l', 1));
      await stage.afterStore(live('l', 2));
      expect(updates).toEqual([['l', 1]]);
      clock.now += 1000;
      vi.advanceTimersByTime(1000);
      expect(updates).toContainEqual(['l', 2]);
    });

    it("a live event of a shopper waiting for history's interval waits the live interval only", async () => {
      const { stage, updates, clock } = historyStage();
      await stage.afterStore(history('u', 1));
      clock.now += 200;
      await stage.afterStore(live('u', 2));
      expect(updates).toEqual([]);
      clock.now += 800;
      vi.advanceTimersByTime(1000);
      expect(updates).toEqual([['u', 2]]);
    });

    it('without a longer interval history is indexed like live events (the default)', async () => {
      const updates: number[] = [];
      const stage = new ShoppersStage(
        recordingIndex((_, version) => void updates.push(version)),
        { pushMaxAgeMs: 60_000 },
      );
      await stage.afterStore(history('u', 1));
      await stage.afterStore(history('u', 2));
      expect(updates).toEqual([1, 2]);
    });
  });
});
