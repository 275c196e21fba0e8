import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import type { PointsChange } from '../../engine/members/member-store.js';
import { member, thresholds, useMemberStores } from '../helpers/member-store-fixtures.js';

/** Points and ledger: one suite for both MemberStore implementations (Redis on its own server, random prefixes). */
const implementations = useMemberStores();

const change = (eventId: string, delta: number, overrides: Partial<PointsChange> = {}): PointsChange => ({
  eventId,
  ts: 1_700_000_000_000 + delta,
  delta,
  cause: delta < 0 ? 'cancellation' : 'order',
  orderId: `o-${eventId}`,
  ...overrides,
});
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : String(err)),
  );

describe.each(implementations)('MemberStore points conformance: %s', (_name, create) => {
  it('credits once per event id, keeps the record and ledger in step', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    const first = await store.applyPoints(grace.memberId, change('e1', 120), thresholds);
    expect(first).toEqual({ applied: true, member: { ...grace, points: 120, lifetimePoints: 120 } });
    const again = await store.applyPoints(grace.memberId, change('e1', 120), thresholds);
    expect(again).toEqual({ applied: false, member: { ...grace, points: 120, lifetimePoints: 120 } });
    // A cancellation larger than the balance: points clamp at 0, the ledger keeps the true delta.
    const back = await store.applyPoints(grace.memberId, change('c1', -150), thresholds);
    expect(back.member).toMatchObject({ points: 0, lifetimePoints: 0, tier: 'regular' });
    expect(await store.ledger(grace.memberId, { limit: 10 })).toEqual([
      { entryId: 2, ts: 1_700_000_000_000 - 150, delta: -150, balance: 0, cause: 'cancellation', orderId: 'o-c1', eventId: 'c1' },
      { entryId: 1, ts: 1_700_000_000_120, delta: 120, balance: 120, cause: 'order', orderId: 'o-e1', eventId: 'e1' },
    ]);
    expect(await store.get(grace.memberId)).toEqual({ ...grace, points: 0, lifetimePoints: 0 });
  });

  it('applies one of 20 concurrent calls with the same event id', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.applyPoints(grace.memberId, change('same', 75), thresholds)));
    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    expect((await store.get(grace.memberId))?.points).toBe(75);
    expect(await store.ledger(grace.memberId, { limit: 100 })).toHaveLength(1);
  });

  it('raises the tier in the same step as the crossing, once, and never lowers it', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    expect((await store.applyPoints(grace.memberId, change('a', 999), thresholds)).tierChanged).toBeUndefined();
    const crossing = await store.applyPoints(grace.memberId, change('b', 1), thresholds);
    expect(crossing.tierChanged).toEqual({ from: 'regular', to: 'vip' });
    expect(crossing.member).toMatchObject({ tier: 'vip', points: 1000, lifetimePoints: 1000 });
    expect((await store.applyPoints(grace.memberId, change('b', 1), thresholds)).tierChanged).toBeUndefined();
    const cancelled = await store.applyPoints(grace.memberId, change('c', -500), thresholds);
    expect(cancelled.member).toMatchObject({ tier: 'vip', points: 500, lifetimePoints: 500 });
    const redeemed = await store.applyPoints(grace.memberId, change('r', -200, { cause: 'redemption' }), thresholds);
    expect(redeemed.member).toMatchObject({ points: 300, lifetimePoints: 500 });
    expect((await store.applyPoints(grace.memberId, change('big', 20_000), thresholds)).tierChanged).toEqual({
      from: 'vip',
      to: 'enterprise',
    });
  });

  it('pages the ledger newest first with before', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    for (let i = 1; i <= 7; i++) await store.applyPoints(grace.memberId, change(`e${i}`, i), thresholds);
    const ids = async (page: { limit: number; before?: number }) => (await store.ledger(grace.memberId, page)).map((e) => e.entryId);
    expect(await ids({ limit: 3 })).toEqual([7, 6, 5]);
    expect(await ids({ limit: 3, before: 5 })).toEqual([4, 3, 2]);
    expect(await ids({ limit: 3, before: 2 })).toEqual([1]);
    expect(await ids({ limit: 3, before: 1 })).toEqual([]);
    expect(await ids({ limit: 100, before: 50 })).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect((await store.ledger(grace.memberId, { limit: 1 }))[0]).toMatchObject({ balance: 28, delta: 7 });
    expect(await store.ledger('m_nobody', { limit: 5 })).toEqual([]);
  });

  it('rejects bad changes and unknown members, writing nothing', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    expect(await codeOf(store.applyPoints('m_nobody', change('x', 5), thresholds))).toBe('not_found');
    expect(await codeOf(store.applyPoints(grace.memberId, change('x', 2.5), thresholds))).toBe('invalid_request');
    expect(await codeOf(store.ledger(grace.memberId, { limit: 0 }))).toBe('invalid_request');
    expect(await store.get(grace.memberId)).toEqual(grace);
    expect(await store.ledger(grace.memberId, { limit: 10 })).toEqual([]);
    // The rejected id was not marked: it applies once it is valid.
    expect((await store.applyPoints(grace.memberId, change('x', 5), thresholds)).applied).toBe(true);
  });

  it('keeps event ids with JSON-unsafe characters and unicode order ids intact', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    await store.applyPoints(grace.memberId, change('e"\\\n', 3, { orderId: 'ordre-№5 "x"' }), thresholds);
    expect(await store.ledger(grace.memberId, { limit: 1 })).toEqual([
      { entryId: 1, ts: 1_700_000_000_003, delta: 3, balance: 3, cause: 'order', orderId: 'ordre-№5 "x"', eventId: 'e"\\\n' },
    ]);
  });
});
