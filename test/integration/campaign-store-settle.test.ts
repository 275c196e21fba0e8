import { describe, expect, it } from 'vitest';
import type { CartTimer } from '../../engine/campaigns/campaign-store.js';
import { campaign, id, promotion, rulesOf, T0, useCampaignStores } from '../helpers/campaign-store-fixtures.js';

/**
 * Settling, counts, fan-out marks and cart timers: one suite for both CampaignStore implementations;
 * Redis on its own server, each test under a random prefix.
 */
const implementations = useCampaignStores();

describe.each(implementations)('CampaignStore conformance: %s', (_name, make) => {
  const one = () => make(1)[0]!;

  describe('settle and counts', () => {
    it('counts targeted, delivered, dropped, live and redeemed (once per code); settle is idempotent', async () => {
      const store = one();
      const c = campaign({ budget: 2 });
      await store.create(c);
      const [a, b, d] = [id('m'), id('m'), id('m')];
      const offers = [a, b, d].map((m) => promotion(c.campaignId, m));
      for (const p of offers) {
        await store.offer(p);
        await store.offer(p);
      }
      expect(await store.counts(c.campaignId)).toEqual({ targeted: 3, delivered: 0, dropped: 0, redeemed: 0, live: 0 });
      expect(await store.reserve(c.campaignId, a, offers[0]!.promotionId, rulesOf(c), T0 + 1, true)).toBe('ok');
      expect(await store.reserve(c.campaignId, b, offers[1]!.promotionId, rulesOf(c), T0 + 2, false)).toBe('ok');
      expect(await store.reserve(c.campaignId, d, offers[2]!.promotionId, rulesOf(c), T0 + 3, false)).toBe('exhausted');
      await store.settle(a, offers[0]!.promotionId, 'delivered', T0 + 10);
      await store.settle(b, offers[1]!.promotionId, 'delivered', T0 + 20);
      await store.settle(d, offers[2]!.promotionId, 'dropped', T0 + 30);
      // Repeats, and a later settle of the other outcome, change nothing.
      await store.settle(d, offers[2]!.promotionId, 'dropped', T0 + 31);
      await store.settle(a, offers[0]!.promotionId, 'dropped', T0 + 32);
      await store.settle(a, 'c_x:unknown', 'dropped', T0 + 33);
      await store.recordRedemption(c.campaignId, offers[0]!.coupon!.code);
      await store.recordRedemption(c.campaignId, offers[0]!.coupon!.code);
      expect(await store.counts(c.campaignId)).toEqual({ targeted: 3, delivered: 2, dropped: 1, redeemed: 1, live: 1 });
      expect(await store.counts('c_nothing')).toEqual({ targeted: 0, delivered: 0, dropped: 0, redeemed: 0, live: 0 });
      for (const m of [a, b, d]) expect(await store.claim(m, T0 + 1_000_000, 1000, 10)).toEqual([]);
    });

    it('keeps delivered promotions as the member history, newest first, with the coupon code', async () => {
      const store = one();
      const m = id('m');
      const first = promotion('c_hist', m, { promotionId: `c_hist:${m}:1` });
      const second = promotion('c_hist', m, { promotionId: `c_hist:${m}:2`, coupon: undefined });
      const dropped = promotion('c_hist', m, { promotionId: `c_hist:${m}:3` });
      for (const p of [first, second, dropped]) await store.offer(p);
      await store.settle(m, first.promotionId, 'delivered', T0 + 100);
      await store.settle(m, second.promotionId, 'delivered', T0 + 200);
      await store.settle(m, dropped.promotionId, 'dropped', T0 + 300);
      expect(await store.delivered(m, 10)).toEqual([
        { promotionId: second.promotionId, campaignId: 'c_hist', title: second.title, deliveredAt: T0 + 200 },
        { promotionId: first.promotionId, campaignId: 'c_hist', title: first.title, deliveredAt: T0 + 100, couponCode: first.coupon!.code },
      ]);
      expect(await store.delivered(m, 1)).toHaveLength(1);
      expect(await store.delivered(id('m'), 10)).toEqual([]);
    });
  });

  it('marks the fan-out of a campaign per partition', async () => {
    const store = one();
    expect(await store.fanOutDone('c_fan', 3)).toBe(false);
    await store.markFanOutDone('c_fan', 3);
    await store.markFanOutDone('c_fan', 3);
    expect(await store.fanOutDone('c_fan', 3)).toBe(true);
    expect(await store.fanOutDone('c_fan', 4)).toBe(false);
    expect(await store.fanOutDone('c_other', 3)).toBe(false);
  });

  describe('cart timers', () => {
    const timer = (overrides: Partial<CartTimer> = {}): CartTimer => ({
      campaignId: 'c_cart',
      memberId: 'm_1',
      dueAt: T0 + 2000,
      eventId: 'ev-1',
      ...overrides,
    });

    it('returns due timers earliest first, per partition, up to the limit', async () => {
      const store = one();
      await store.armTimer(0, timer({ memberId: 'm_late', dueAt: T0 + 3000 }));
      await store.armTimer(0, timer({ memberId: 'm_b', dueAt: T0 + 1000 }));
      await store.armTimer(0, timer({ memberId: 'm_a', dueAt: T0 + 1000 }));
      await store.armTimer(0, timer({ memberId: 'm_first', dueAt: T0 + 500 }));
      await store.armTimer(1, timer({ memberId: 'm_elsewhere', dueAt: T0 }));
      expect((await store.dueTimers(0, T0 + 2000, 10)).map((t) => t.memberId)).toEqual(['m_first', 'm_a', 'm_b']);
      expect((await store.dueTimers(0, T0 + 2000, 2)).map((t) => t.memberId)).toEqual(['m_first', 'm_a']);
      expect(await store.dueTimers(0, T0 + 499, 10)).toEqual([]);
      expect(await store.dueTimers(1, T0, 10)).toEqual([timer({ memberId: 'm_elsewhere', dueAt: T0 })]);
    });

    it('re-arming replaces the due time and event; disarm removes the named campaigns only', async () => {
      const store = one();
      await store.armTimer(2, timer());
      await store.armTimer(2, timer({ dueAt: T0 + 9000, eventId: 'ev-2' }));
      await store.armTimer(2, timer({ campaignId: 'c_other' }));
      expect(await store.dueTimers(2, T0 + 10_000, 10)).toEqual([
        timer({ campaignId: 'c_other' }),
        timer({ dueAt: T0 + 9000, eventId: 'ev-2' }),
      ]);
      await store.disarmTimers(2, 'm_1', ['c_cart', 'c_none']);
      await store.disarmTimers(2, 'm_1', []);
      expect(await store.dueTimers(2, T0 + 10_000, 10)).toEqual([timer({ campaignId: 'c_other' })]);
    });

    it('removeTimer removes a fired timer but leaves one re-armed since', async () => {
      const store = one();
      const fired = timer();
      await store.armTimer(5, fired);
      await store.armTimer(5, timer({ eventId: 'ev-2' }));
      await store.removeTimer(5, fired);
      expect(await store.dueTimers(5, T0 + 5000, 10)).toEqual([timer({ eventId: 'ev-2' })]);
      await store.armTimer(5, timer({ eventId: 'ev-2', dueAt: T0 + 4000 }));
      await store.removeTimer(5, timer({ eventId: 'ev-2' }));
      expect(await store.dueTimers(5, T0 + 5000, 10)).toEqual([timer({ eventId: 'ev-2', dueAt: T0 + 4000 })]);
      await store.removeTimer(5, timer({ eventId: 'ev-2', dueAt: T0 + 4000 }));
      expect(await store.dueTimers(5, T0 + 5000, 10)).toEqual([]);
    });
  });
});
