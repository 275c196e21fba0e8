import { describe, expect, it } from 'vitest';
import { deliverySetup, LEASE_MS, T0 } from '../helpers/campaigns.js';

/**
 * Delivery on the in-memory stores, two PromotionDelivery over one CampaignStore standing for two
 * engines: exactly once per member per promotion, budget, frequency cap, schedule, one coupon.
 */
describe('PromotionDelivery', () => {
  it('offers once per promotion id, hints the member, and two concurrent claimers deliver it exactly once', async () => {
    const { store, engineA, engineB, create, pushes, promotionsTo } = await deliverySetup();
    const campaign = await create('c1', { offer: { title: 'Lamps', message: '10% off lamps', discountPercent: 10, itemIds: ['lamp1'] } });
    expect(await engineA.offer(campaign, 'm0', {}, T0)).toBe(true);
    expect(await engineB.offer(campaign, 'm0', {}, T0 + 1)).toBe(false);
    expect(pushes.filter((p) => p.message.event === 'inbox')).toEqual([{ userId: 'm0', message: { event: 'inbox', data: {} } }]);

    // Two gateways (a connect and a hint) claim at the same moment, on two engines.
    const [a, b] = await Promise.all([engineA.claim('m0', true, T0 + 5), engineB.claim('m0', false, T0 + 5)]);
    expect(a.length + b.length).toBe(1);
    const [promotion] = [...a, ...b];
    expect(promotion).toMatchObject({
      promotionId: 'c1:m0',
      campaignId: 'c1',
      title: 'Lamps',
      message: '10% off lamps',
      items: ['lamp1'],
      coupon: { discountPercent: 10, expiresAt: T0 + 5 + 7 * 24 * 3600 * 1000 },
    });
    expect(promotionsTo('m0')).toEqual([promotion]);
    // Later claims, also after the lease, find nothing.
    expect(await engineA.claim('m0', false, T0 + LEASE_MS + 10)).toEqual([]);
    expect(promotionsTo('m0')).toHaveLength(1);
    const counts = await store.counts('c1');
    expect(counts).toEqual({ targeted: 1, delivered: 1, dropped: 0, redeemed: 0, live: a.length });
    expect((await store.delivered('m0', 10)).map((d) => [d.promotionId, d.couponCode])).toEqual([['c1:m0', promotion!.coupon!.code]]);
  });

  it('never delivers beyond the budget, whichever engine claims', async () => {
    const { store, ids, engineA, engineB, create, pushes } = await deliverySetup(10);
    const campaign = await create('budget3', { budget: 3 });
    for (const id of ids) await engineA.offer(campaign, id, {}, T0);
    const claims = await Promise.all(ids.map((id, i) => (i % 2 === 0 ? engineA : engineB).claim(id, true, T0 + 1)));
    expect(claims.flat()).toHaveLength(3);
    expect(pushes.filter((p) => p.message.event === 'promotion')).toHaveLength(3);
    expect(await store.counts('budget3')).toEqual({ targeted: 10, delivered: 3, dropped: 7, redeemed: 0, live: 3 });
    // An exhausted campaign (as the registry would report it) is not offered any more.
    expect(await engineA.offer({ ...campaign, status: 'exhausted' }, 'm0', {}, T0 + 2)).toBe(false);
  });

  it('honours the frequency cap: one per member per period, one ever without a cap', async () => {
    const { store, engineA, create, promotionsTo } = await deliverySetup();
    const capped = await create('cap60', { trigger: { type: 'event', eventType: 'view' }, frequencyCapSeconds: 60 });
    await engineA.offer(capped, 'm0', { eventId: 'e1' }, T0);
    await engineA.offer(capped, 'm0', { eventId: 'e2' }, T0 + 1);
    expect((await engineA.claim('m0', true, T0 + 2)).map((p) => p.promotionId)).toEqual(['cap60:m0:e1']);
    await engineA.offer(capped, 'm0', { eventId: 'e3' }, T0 + 30_000);
    expect(await engineA.claim('m0', true, T0 + 30_000)).toEqual([]);
    await engineA.offer(capped, 'm0', { eventId: 'e4' }, T0 + 61_000);
    expect((await engineA.claim('m0', true, T0 + 61_000)).map((p) => p.promotionId)).toEqual(['cap60:m0:e4']);
    expect(await store.counts('cap60')).toMatchObject({ targeted: 4, delivered: 2, dropped: 2 });

    const once = await create('once', { trigger: { type: 'event', eventType: 'view' } });
    await engineA.offer(once, 'm1', { eventId: 'e1' }, T0);
    await engineA.claim('m1', true, T0);
    await engineA.offer(once, 'm1', { eventId: 'e2' }, T0 + 365 * 24 * 3600 * 1000);
    expect(await engineA.claim('m1', true, T0 + 365 * 24 * 3600 * 1000)).toEqual([]);
    expect(promotionsTo('m1').map((p) => p.promotionId)).toEqual(['once:m1:e1']);
    // An event promotion names its event.
    await expect(engineA.offer(once, 'm1', {}, T0)).rejects.toThrow(/event id/);
  });

  it('drops what waits for a stopped or ended campaign, and offers nothing for one', async () => {
    const { store, engineA, create, pushes } = await deliverySetup();
    const stopped = await create('stopme');
    const ending = await create('ends', { endsAt: T0 + 10_000 });
    const later = await create('later', { startsAt: T0 + 60_000 });
    await engineA.offer(stopped, 'm0', {}, T0);
    await engineA.offer(ending, 'm0', {}, T0);
    expect(await engineA.offer(later, 'm0', {}, T0)).toBe(false);
    await store.stop('stopme', T0 + 1);
    // This engine's copy still says running: the stored campaign decides.
    expect(await engineA.claim('m0', false, T0 + 20_000)).toEqual([]);
    expect(pushes.filter((p) => p.message.event === 'promotion')).toEqual([]);
    expect(await store.counts('stopme')).toMatchObject({ targeted: 1, delivered: 0, dropped: 1 });
    expect(await store.counts('ends')).toMatchObject({ targeted: 1, delivered: 0, dropped: 1 });
    expect(await engineA.offer(ending, 'm1', {}, T0 + 10_000)).toBe(false);
    expect(await engineA.offer({ ...stopped, stoppedAt: T0 + 1 }, 'm1', {}, T0 + 2)).toBe(false);
  });

  it('makes the coupon once per promotion when a claim is retried after a failure', async () => {
    const { store, coupons, engineA, engineB, create, promotionsTo } = await deliverySetup();
    const campaign = await create('coupon', {
      offer: { title: 'Coupon', message: 'Take 15%', discountPercent: 15, couponTtlSeconds: 3600 },
    });
    await engineA.offer(campaign, 'm0', {}, T0);
    // The first claimer dies after the grant and the coupon, before settling.
    const settle = store.settle.bind(store);
    store.settle = async () => {
      throw new Error('connection lost');
    };
    expect(await engineA.claim('m0', true, T0 + 1)).toEqual([]);
    store.settle = settle;
    expect(await coupons.list('m0', 10)).toHaveLength(1);
    // Within the lease nobody else takes it; after it, another engine delivers it, once.
    expect(await engineB.claim('m0', false, T0 + 2)).toEqual([]);
    const [promotion] = await engineB.claim('m0', false, T0 + LEASE_MS + 5);
    const made = await coupons.list('m0', 10);
    expect(made).toHaveLength(1);
    expect(promotion!.coupon).toEqual({ code: made[0]!.code, discountPercent: 15, expiresAt: made[0]!.expiresAt });
    expect(made[0]).toMatchObject({
      kind: 'percent',
      discountPercent: 15,
      source: { type: 'campaign', id: 'coupon' },
      expiresAt: T0 + 1 + 3600_000,
    });
    expect(promotionsTo('m0')).toEqual([promotion]);
    expect(await store.counts('coupon')).toMatchObject({ delivered: 1, dropped: 0 });
    expect(await engineA.claim('m0', false, T0 + 3 * LEASE_MS)).toEqual([]);
  });

  it('claims a long inbox in rounds, oldest first, until it is empty', async () => {
    const { store, make, create } = await deliverySetup();
    const delivery = make(2);
    const campaign = await create('many', { trigger: { type: 'event', eventType: 'view' }, frequencyCapSeconds: 1 });
    for (let i = 0; i < 5; i++) await delivery.offer(campaign, 'm0', { eventId: `e${i}` }, T0 + i * 2000);
    // Claimed at one instant, rounds of 2: the oldest is granted, the 1 s cap drops the other four.
    expect((await delivery.claim('m0', false, T0 + 10_000)).map((p) => p.promotionId)).toEqual(['many:m0:e0']);
    expect(await store.counts('many')).toMatchObject({ targeted: 5, delivered: 1, dropped: 4 });
  });
});
