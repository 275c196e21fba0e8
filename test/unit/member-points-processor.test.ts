import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/adapters/memory/memory-interaction-stats.js';
import { MemoryMemberStore } from '../../engine/adapters/memory/memory-member-store.js';
import { MemoryUserStateStore } from '../../engine/adapters/memory/memory-user-state-store.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { LoggedEvent, Tier } from '../../engine/contracts/schemas.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { MemberStore, StoredMember } from '../../engine/ports/member-store.js';
import type { Notifier } from '../../engine/ports/notifier.js';
import { EventProcessor } from '../../engine/services/event-processor.js';
import type { Recommender } from '../../engine/services/recommender.js';

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
    options: { defaultK: 5, tasteHalfLifeSeconds: 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 20, pushMaxAgeMs: 60_000, retryDelayMs: 10 },
  });
  return { processor, pushes, rankedTiers, users };
}

const member = (memberId: string): StoredMember => ({ memberId, email: `${memberId}@example.com`, name: 'M', tier: 'regular', points: 0, lifetimePoints: 0, createdAt: 1, passwordHash: 'x' });
const purchase = (userId: string, id: string, quantity: number, price: number): LoggedEvent => ({
  type: 'purchase', id, userId, ts: 1_700_000_000_000, receivedAt: 1_700_000_000_500, orderId: `o-${id}`, items: [{ itemId: 'sku-1', quantity, price }],
});

describe('EventProcessor: points from purchases', () => {
  it('credits a member once per purchase and takes a cancellation back', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_a'));
    const { processor } = setup(store);
    expect(await processor.process(purchase('m_a', 'p1', 3, 10.5))).toBe('applied');
    expect(await processor.process(purchase('m_a', 'p1', 3, 10.5))).toBe('duplicate');
    expect(await store.get('m_a')).toMatchObject({ points: 32, lifetimePoints: 32 }); // 31.5 -> 32
    await processor.process(purchase('m_a', 'c1', -3, 10.5));
    expect(await store.get('m_a')).toMatchObject({ points: 0, lifetimePoints: 0 });
    expect((await store.ledger('m_a', { limit: 10 })).map((e) => [e.cause, e.delta])).toEqual([['cancellation', -32], ['order', 32]]);
  });

  it('completes a purchase whose points or user state failed, crediting once', async () => {
    const inner = new MemoryMemberStore();
    await inner.create(member('m_b'));
    let failPoints = true;
    const flaky: MemberStore = Object.assign(Object.create(inner) as MemberStore, {
      applyPoints: async (...args: Parameters<MemberStore['applyPoints']>) => {
        if (failPoints) {
          failPoints = false;
          throw new Error('redis went away');
        }
        return inner.applyPoints(...args);
      },
    });
    const { processor, users } = setup(flaky);
    await expect(processor.process(purchase('m_b', 'p1', 1, 40))).rejects.toThrow('redis went away');
    expect((await inner.get('m_b'))?.points).toBe(0);
    expect(await users.wasApplied('m_b', 'p1')).toBe(false);
    // Redelivery: points and user state both applied, once.
    expect(await processor.process(purchase('m_b', 'p1', 1, 40))).toBe('applied');
    expect(await processor.process(purchase('m_b', 'p1', 1, 40))).toBe('duplicate');
    expect((await inner.get('m_b'))?.points).toBe(40);

    // Points stored, then the user state write fails: the redelivery credits nothing twice and
    // stores the state with the tier the points reached.
    failApply.next = true;
    await expect(processor.process(purchase('m_b', 'p2', 1, 1000))).rejects.toThrow('connection lost');
    expect(await inner.get('m_b')).toMatchObject({ points: 1040, tier: 'vip' });
    expect(await processor.process(purchase('m_b', 'p2', 1, 1000))).toBe('applied');
    expect(await inner.get('m_b')).toMatchObject({ points: 1040, tier: 'vip' });
    expect(await users.tier('m_b')).toBe('vip');
  });

  it('pushes a member event when the tier rises and ranks the pushed list for the new tier', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_c'));
    const { processor, pushes, rankedTiers } = setup(store);
    await processor.process(purchase('m_c', 'p1', 1, 999.4)); // 999 points
    expect(pushes.filter((p) => p.message.event === 'member')).toEqual([]);
    await processor.process(purchase('m_c', 'p2', 1, 1)); // 1000 (rate of the tier at that moment: regular)
    expect(pushes.filter((p) => p.message.event === 'member')).toEqual([
      { userId: 'm_c', message: { event: 'member', data: { type: 'tier_changed', from: 'regular', to: 'vip', points: 1000, lifetimePoints: 1000 } } },
    ]);
    expect(rankedTiers).toEqual(['regular', 'vip']);
    await processor.process(purchase('m_c', 'p3', 1, 10)); // VIP rate: 15
    expect(await store.get('m_c')).toMatchObject({ tier: 'vip', points: 1015 });
  });

  it('ranks pushes after later events sent with the token minted before the upgrade for the new tier', async () => {
    const store = new MemoryMemberStore();
    await store.create(member('m_d'));
    const { processor, rankedTiers, users } = setup(store);
    const withStaleToken = (event: LoggedEvent): LoggedEvent => ({ ...event, tier: 'regular' });
    await processor.process(withStaleToken(purchase('m_d', 'p1', 1, 1000)));
    await processor.process(withStaleToken({ type: 'view', id: 'v1', userId: 'm_d', itemId: 'sku-2', ts: 1_700_000_000_100, receivedAt: 1_700_000_000_600 }));
    expect(rankedTiers).toEqual(['vip', 'vip']);
    expect(await users.tier('m_d')).toBe('vip');
  });

  it('ignores purchases of users who are no members', async () => {
    const store = new MemoryMemberStore();
    const { processor } = setup(store);
    expect(await processor.process(purchase('v_visitor', 'p1', 1, 50))).toBe('applied');
    expect(await store.get('v_visitor')).toBeUndefined();
  });
});
