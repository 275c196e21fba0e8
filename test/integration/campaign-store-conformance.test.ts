import { describe, expect, it } from 'vitest';
import type { StoredCampaign } from '../../engine/campaigns/campaign-store.js';
import { campaign, codeOf, id, promotion, rulesOf, T0, useCampaignStores } from '../helpers/campaign-store-fixtures.js';

/** One suite for both CampaignStore implementations; Redis on its own server, each test under a random prefix. */
const implementations = useCampaignStores();

describe.each(implementations)('CampaignStore conformance: %s', (_name, make) => {
  const one = () => make(1)[0]!;

  describe('definitions', () => {
    it('creates, reads, lists newest first and refuses a second create of an id', async () => {
      const store = one();
      const older = campaign({ createdAt: T0, budget: 5, frequencyCapSeconds: 60, endsAt: T0 + 86_400_000 });
      const newer = campaign({
        createdAt: T0 + 1000,
        trigger: { type: 'event', eventType: 'view', category: 'home', count: 3, withinSeconds: 600 },
      });
      await store.create(older);
      await store.create(newer);
      expect(await store.get(older.campaignId)).toEqual(older);
      expect(await store.get(newer.campaignId)).toEqual(newer);
      expect(await store.get('c_unknown')).toBeUndefined();
      expect((await store.list(10)).map((c) => c.campaignId)).toEqual([newer.campaignId, older.campaignId]);
      expect((await store.list(1)).map((c) => c.campaignId)).toEqual([newer.campaignId]);
      await expect(store.create({ ...older, name: 'Other' })).rejects.toThrow(/already exists/);
      expect(await store.get(older.campaignId)).toEqual(older);
    });

    it('stops once: a second stop keeps the first time; an unknown id is undefined', async () => {
      const store = one();
      const c = campaign();
      await store.create(c);
      expect(await store.stop(c.campaignId, T0 + 500)).toEqual({ ...c, stoppedAt: T0 + 500 });
      expect(await store.stop(c.campaignId, T0 + 900)).toEqual({ ...c, stoppedAt: T0 + 500 });
      expect(await store.get(c.campaignId)).toEqual({ ...c, stoppedAt: T0 + 500 });
      expect((await store.list(5))[0]).toEqual({ ...c, stoppedAt: T0 + 500 });
      expect(await store.stop('c_unknown', T0)).toBeUndefined();
      expect(await store.get('c_unknown')).toBeUndefined();
    });

    it('refuses ids that would break a hash tag and malformed campaigns, writing nothing', async () => {
      const store = one();
      expect(await codeOf(store.create(campaign({ campaignId: 'c{x}' })))).toBe('invalid_request');
      expect(await codeOf(store.create({ ...campaign(), trigger: { type: 'sometime' } } as unknown as StoredCampaign))).toBe(
        'invalid_request',
      );
      expect(await codeOf(store.get('c x'))).toBe('invalid_request');
      expect(await codeOf(store.offer(promotion('c_1', 'm{1}')))).toBe('invalid_request');
      expect(await codeOf(store.list(0))).toBe('range');
      expect(await store.list(10)).toEqual([]);
    });
  });

  describe('inbox', () => {
    it('offers a promotion once and counts the member targeted once', async () => {
      const store = one();
      const c = campaign();
      await store.create(c);
      const p = promotion(c.campaignId, id('m'));
      expect(await store.offer(p)).toBe(true);
      expect(await store.offer({ ...p, title: 'changed' })).toBe(false);
      const claimed = await store.claim(p.memberId, T0, 30_000, 10);
      expect(claimed).toEqual([p]);
      expect((await store.counts(c.campaignId)).targeted).toBe(1);
    });

    it('claims oldest first, up to the limit, and never a settled one', async () => {
      const store = one();
      const memberId = id('m');
      const offers = [3, 1, 2].map((n) => promotion('c_order', memberId, { promotionId: `c_order:${memberId}:e${n}`, offeredAt: T0 + n }));
      for (const p of offers) await store.offer(p);
      const settled = promotion('c_order', memberId, { promotionId: `c_order:${memberId}:e0`, offeredAt: T0 });
      await store.offer(settled);
      await store.settle(memberId, settled.promotionId, 'delivered', T0);
      expect((await store.claim(memberId, T0, 1000, 2)).map((p) => p.promotionId)).toEqual([
        `c_order:${memberId}:e1`,
        `c_order:${memberId}:e2`,
      ]);
      expect((await store.claim(memberId, T0, 1000, 10)).map((p) => p.promotionId)).toEqual([`c_order:${memberId}:e3`]);
      expect(await store.claim(memberId, T0 + 10_000, 1000, 10)).toHaveLength(3);
    });

    it('gives concurrent claimers disjoint sets; an expired lease is pending again', async () => {
      const stores = make(4);
      const memberId = id('m');
      const offers = Array.from({ length: 12 }, (_, n) =>
        promotion('c_lease', memberId, { promotionId: `c_lease:${memberId}:e${n}`, offeredAt: T0 + n }),
      );
      for (const p of offers) await stores[0]!.offer(p);
      const claims = await Promise.all(stores.flatMap((store) => [store.claim(memberId, T0, 5000, 2), store.claim(memberId, T0, 5000, 2)]));
      const ids = claims.flat().map((p) => p.promotionId);
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
      expect(await stores[0]!.claim(memberId, T0 + 4999, 5000, 100)).toEqual([]);
      // The claimers died: at the lease's end every one is pending again.
      expect(await stores[1]!.claim(memberId, T0 + 5000, 5000, 100)).toHaveLength(12);
    });
  });

  describe('reserve', () => {
    it(`grants a budget of N exactly under 60 concurrent reserves for distinct members`, async () => {
      const stores = make(6);
      const c = campaign({ budget: 17 });
      await stores[0]!.create(c);
      const members = Array.from({ length: 60 }, () => id('m'));
      const outcomes = await Promise.all(
        members.map((m, i) => stores[i % stores.length]!.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0 + 1, i % 2 === 0)),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(17);
      expect(outcomes.filter((o) => o === 'exhausted')).toHaveLength(43);
      const counts = await stores[0]!.counts(c.campaignId);
      expect(counts.delivered).toBe(17);
      expect(counts.live).toBe(outcomes.filter((o, i) => o === 'ok' && i % 2 === 0).length);
    });

    it('answers `again` for a granted promotionId, even when the budget is used up or the campaign stopped since', async () => {
      const store = one();
      const c = campaign({ budget: 1 });
      await store.create(c);
      const m = id('m');
      expect(await store.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0, true)).toBe('ok');
      expect(await store.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0 + 5, false)).toBe('again');
      expect(await store.reserve(c.campaignId, id('m'), `${c.campaignId}:other`, rulesOf(c), T0 + 5, false)).toBe('exhausted');
      await store.stop(c.campaignId, T0 + 6);
      expect(await store.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0 + 7, false)).toBe('again');
      expect(await store.counts(c.campaignId)).toMatchObject({ delivered: 1, live: 1 });
    });

    it('caps a member within frequencyCapSeconds and grants again after it', async () => {
      const store = one();
      const c = campaign({ frequencyCapSeconds: 60, trigger: { type: 'event', eventType: 'view', count: 1, withinSeconds: 600 } });
      await store.create(c);
      const m = id('m');
      const reserve = (event: string, at: number) => store.reserve(c.campaignId, m, `${c.campaignId}:${m}:${event}`, rulesOf(c), at, false);
      expect(await reserve('e1', T0)).toBe('ok');
      expect(await reserve('e2', T0 + 59_999)).toBe('capped');
      expect(await reserve('e3', T0 + 60_000)).toBe('ok');
      expect(await store.reserve(c.campaignId, id('m'), `${c.campaignId}:x:e4`, rulesOf(c), T0 + 60_001, false)).toBe('ok');
      expect((await store.counts(c.campaignId)).delivered).toBe(3);
    });

    it('without frequencyCapSeconds grants a member once ever', async () => {
      const store = one();
      const c = campaign();
      await store.create(c);
      const m = id('m');
      expect(await store.reserve(c.campaignId, m, `${c.campaignId}:${m}:e1`, rulesOf(c), T0, false)).toBe('ok');
      expect(await store.reserve(c.campaignId, m, `${c.campaignId}:${m}:e2`, rulesOf(c), T0 + 365 * 86_400_000, false)).toBe('capped');
    });

    it('is closed before startsAt, from endsAt on, after a stop (in the store or the rules) and for an unknown campaign', async () => {
      const store = one();
      const c = campaign({ startsAt: T0 + 1000, endsAt: T0 + 2000 });
      await store.create(c);
      const at = (when: number, rules = rulesOf(c), campaignId = c.campaignId) =>
        store.reserve(campaignId, 'm_1', `${campaignId}:m_1:${when}`, rules, when, false);
      expect(await at(T0 + 999)).toBe('closed');
      expect(await at(T0 + 2000)).toBe('closed');
      expect(await at(T0 + 1500, { ...rulesOf(c), stoppedAt: T0 + 1400 })).toBe('closed');
      expect(await at(T0 + 1500, rulesOf(c), 'c_never_created')).toBe('closed');
      expect(await at(T0 + 1000)).toBe('ok');
      await store.stop(c.campaignId, T0 + 1600);
      // The caller's copy predates the stop: the stored stop still closes it.
      expect(await store.reserve(c.campaignId, 'm_2', `${c.campaignId}:m_2`, rulesOf(c), T0 + 1700, false)).toBe('closed');
      expect((await store.counts(c.campaignId)).delivered).toBe(1);
    });
  });
});
