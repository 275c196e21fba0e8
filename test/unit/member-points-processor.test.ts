import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { LoggedEvent, Tier } from '../../engine/contracts/schemas.js';
import { orderEventId } from '../../engine/contracts/order-keys.js';
import type { OrderStatus, StoredOrderEvent } from '../../engine/contracts/orders.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { MemberStore, StoredMember } from '../../engine/members/member-store.js';
import type { Notifier } from '../../engine/platform/notifier.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import type { Recommender } from '../../engine/recommend/recommender.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

const thresholds = { vip: 1000, enterprise: 10_000 };
const rates = { regular: 1, vip: 1.5, enterprise: 2 };

/** Set `next` to make the user store's next apply fail as Redis would when it drops out. */
const failApply = { next: false };
class FlakyUserStateStore extends MemoryUserStateStore {
  override async apply(...args: Parameters<MemoryUserStateStore['apply']>) {
    if (failApply.next) {
      failApply.next = false;
      throw new Error('connection lost');
    }
    return super.apply(...args);
  }

  /** The batched event path stores through applyMany: the same failure there. */
  override async applyMany(...args: Parameters<MemoryUserStateStore['applyMany']>) {
    if (failApply.next) {
      failApply.next = false;
      throw new Error('connection lost');
    }
    return super.applyMany(...args);
  }
}

function setup(members: MemberStore) {
  const users = new FlakyUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
  const pushes: Array<{ userId: string; message: PushMessage }> = [];
  const rankedTiers: Tier[] = [];
  // Only what the processor calls: the tier each pushed list is ranked for is what matters here.
  const recommender = {
    boosting: () => false,
    recommend: async (user: { tier: Tier }) => {
      rankedTiers.push(user.tier);
      return { items: [{ itemId: `for-${user.tier}-${rankedTiers.length}`, score: 1 }], generatedAt: 0, modelVersion: 'test' };
    },
  } as unknown as Recommender;
  const notifier: Notifier = {
    pushToUser: (userId, message) => void pushes.push({ userId, message }),
    pushToAll: () => undefined,
  };
  const processor = new EventProcessor({
    users,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
    vectors: { item: () => new Float32Array(8).fill(0.5), text: () => new Float32Array(8).fill(0.5) },
    recommender,
    notifier,
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    members: { store: members, thresholds, rates },
    now: () => 1_700_000_001_000,
    options: processorOptions({ retryDelayMs: 10 }),
  });
  return { processor, pushes, rankedTiers, users };
}

const member = (memberId: string): StoredMember => ({
  memberId,
  email: `${memberId}@example.com`,
  name: 'M',
  tier: 'regular',
  points: 0,
  lifetimePoints: 0,
  createdAt: 1,
  passwordHash: 'x',
});
type Line = { itemId: string; quantity: number; price: number };
const order = (userId: string, orderId: string, status: OrderStatus, lines: Line[]): StoredOrderEvent => ({
  type: 'order',
  id: orderEventId(orderId, status, lines),
  userId,
  orderId,
  status,
  lines,
  ts: 1_700_000_000_000,
  receivedAt: 1_700_000_000_500,
});
const paid = (userId: string, orderId: string, quantity: number, price: number) =>
  order(userId, orderId, 'paid', [{ itemId: 'sku-1', quantity, price }]);
const purchase = (userId: string, id: string, quantity: number, price: number): LoggedEvent => ({
  type: 'purchase',
  id,
  userId,
  ts: 1_700_000_000_000,
  receivedAt: 1_700_000_000_500,
  orderId: `o-${id}`,
  items: [{ itemId: 'sku-1', quantity, price }],
});

describe('EventProcessor: points from orders', () => {
  it('credits a member once per paid order and a cancellation takes it all back', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_a'));
    const { processor, users } = setup(store);
    expect(await processor.process(paid('m_a', 'o1', 3, 10.5))).toBe('applied');
    expect(await processor.process(paid('m_a', 'o1', 3, 10.5))).toBe('duplicate');
    expect(await store.get('m_a')).toMatchObject({ points: 32, lifetimePoints: 32 }); // 31.5 -> 32
    await processor.process(order('m_a', 'o1', 'cancelled', []));
    expect(await store.get('m_a')).toMatchObject({ points: 0, lifetimePoints: 0 });
    expect((await store.ledger('m_a', { limit: 10 })).map((e) => [e.cause, e.delta, e.orderId])).toEqual([
      ['cancellation', -32, 'o1'],
      ['order', 32, 'o1'],
    ]);
    // Lifetime value follows the order: paid, then cancelled.
    const state = await users.load('m_a');
    expect(state.purchases).toMatchObject({ orders: 1, spend: 0 });
  });

  it('earns nothing from a browser purchase, whatever its price', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_p'));
    const { processor, users } = setup(store);
    expect(await processor.process(purchase('m_p', 'p1', 1000, 100))).toBe('applied');
    expect(await store.get('m_p')).toMatchObject({ points: 0, lifetimePoints: 0, tier: 'regular' });
    expect(await store.ledger('m_p', { limit: 10 })).toEqual([]);
    const state = await users.load('m_p');
    expect(state.purchases).toMatchObject({ orders: 0, spend: 0 });
    expect(state.bought.has('sku-1')).toBe(true); // still a behaviour signal
  });

  it('splits the points over the lines and a partial return reverses exactly its share', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_r'));
    const { processor, users } = setup(store);
    const lines = [
      { itemId: 'a', quantity: 1, price: 10.4 },
      { itemId: 'b', quantity: 2, price: 10.4 },
      { itemId: 'c', quantity: 3, price: 0.35 },
    ];
    await processor.process(order('m_r', 'o7', 'paid', lines)); // 32.25 -> 32 points: shares 10, 21, 1 (largest remainder)
    expect((await store.get('m_r'))?.points).toBe(32);
    await processor.process(order('m_r', 'o7', 'returned', [{ itemId: 'b', quantity: 1, price: 999 }]));
    expect((await store.get('m_r'))?.points).toBe(21); // one of b's two units: half of its 21 points, rounded half up (11)
    // The same return again (a redelivery or a repeat) moves nothing.
    expect(await processor.process(order('m_r', 'o7', 'returned', [{ itemId: 'b', quantity: 1, price: 999 }]))).toBe('duplicate');
    await processor.process(
      order('m_r', 'o7', 'returned', [
        { itemId: 'b', quantity: 1, price: 0 },
        { itemId: 'a', quantity: 1, price: 0 },
      ]),
    );
    expect((await store.get('m_r'))?.points).toBe(1); // every unit of a and b back: only c's point is left
    await processor.process(order('m_r', 'o7', 'cancelled', []));
    expect((await store.get('m_r'))?.points).toBe(0);
    expect((await users.load('m_r')).purchases.spend).toBeCloseTo(0, 9);
  });

  it('completes an order whose points or user state failed, crediting once', async () => {
    const inner = new MemoryMemberStore();
    await inner.create(member('m_b'));
    let failPoints = true;
    const flaky: MemberStore = Object.assign(Object.create(inner) as MemberStore, {
      applyOrder: async (...args: Parameters<MemberStore['applyOrder']>) => {
        if (failPoints) {
          failPoints = false;
          throw new Error('redis went away');
        }
        return inner.applyOrder(...args);
      },
    });
    const { processor, users } = setup(flaky);
    const first = paid('m_b', 'o1', 1, 40);
    await expect(processor.process(first)).rejects.toThrow('redis went away');
    expect((await inner.get('m_b'))?.points).toBe(0);
    expect(await users.wasApplied('m_b', first.id)).toBe(false);
    // Redelivery: points and user state both applied, once.
    expect(await processor.process(first)).toBe('applied');
    expect(await processor.process(first)).toBe('duplicate');
    expect((await inner.get('m_b'))?.points).toBe(40);

    // Points stored, then the user state write fails: the redelivery credits nothing twice, stores
    // the state with the tier the points reached and the order's value (the record remembers it).
    failApply.next = true;
    const second = paid('m_b', 'o2', 1, 1000);
    await expect(processor.process(second)).rejects.toThrow('connection lost');
    expect(await inner.get('m_b')).toMatchObject({ points: 1040, tier: 'vip' });
    expect(await processor.process(second)).toBe('applied');
    expect(await inner.get('m_b')).toMatchObject({ points: 1040, tier: 'vip' });
    expect(await users.tier('m_b')).toBe('vip');
    expect((await users.load('m_b')).purchases).toMatchObject({ orders: 2, spend: 1040 });
  });

  it('pushes a member event when the tier rises and ranks the pushed list for the new tier', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_c'));
    const { processor, pushes, rankedTiers } = setup(store);
    await processor.process(paid('m_c', 'o1', 1, 999.4)); // 999 points
    expect(pushes.filter((p) => p.message.event === 'member')).toEqual([]);
    await processor.process(paid('m_c', 'o2', 1, 1)); // 1000 (rate of the tier at that moment: regular)
    expect(pushes.filter((p) => p.message.event === 'member')).toEqual([
      {
        userId: 'm_c',
        message: { event: 'member', data: { type: 'tier_changed', from: 'regular', to: 'vip', points: 1000, lifetimePoints: 1000 } },
      },
    ]);
    expect(rankedTiers).toEqual(['regular', 'vip']);
    await processor.process(paid('m_c', 'o3', 1, 10)); // VIP rate: 15
    expect(await store.get('m_c')).toMatchObject({ tier: 'vip', points: 1015 });
  });

  it('ranks pushes after later events sent with the token minted before the upgrade for the new tier', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_d'));
    const { processor, rankedTiers, users } = setup(store);
    await processor.process(paid('m_d', 'o1', 1, 1000));
    await processor.process({
      type: 'view',
      id: 'v1',
      userId: 'm_d',
      itemId: 'sku-2',
      ts: 1_700_000_000_100,
      receivedAt: 1_700_000_000_600,
      tier: 'regular',
    });
    expect(rankedTiers).toEqual(['vip', 'vip']);
    expect(await users.tier('m_d')).toBe('vip');
  });

  it('records the orders of users who are no members without points', async () => {
    const store = new MemoryMemberStore();
    const { processor, users } = setup(store);
    expect(await processor.process(paid('v_visitor', 'o1', 1, 50))).toBe('applied');
    expect(await store.get('v_visitor')).toBeUndefined();
    expect((await users.load('v_visitor')).purchases).toMatchObject({ orders: 1, spend: 50 });
  });

  it('hands back a return whose paid status was not applied yet', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_e'));
    const { processor } = setup(store);
    await expect(processor.process(order('m_e', 'o9', 'returned', [{ itemId: 'sku-1', quantity: 1, price: 1 }]))).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
