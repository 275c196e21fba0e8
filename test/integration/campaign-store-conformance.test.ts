import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { RedisCampaignStore } from '../../engine/campaigns/adapters/redis-campaign-store.js';
import { PulseError } from '../../engine/contracts/errors.js';
import type { CampaignStore, CartTimer, PendingPromotion, ReserveRules, StoredCampaign } from '../../engine/campaigns/campaign-store.js';
import { randomPrefix, useRedisServer } from '../helpers/redis-suite.js';

/** One suite for both CampaignStore implementations; Redis on its own server, each test under a random prefix. */
let redis: Redis;
let redisUrl: string;
useRedisServer((client, url) => {
  redis = client;
  redisUrl = url;
});
const extraClients: Redis[] = [];
afterAll(() => extraClients.forEach((client) => client.disconnect()));

const T0 = 1_700_000_000_000;
const id = (prefix: string) => `${prefix}_${randomUUID().slice(0, 12)}`;

const campaign = (overrides: Partial<StoredCampaign> = {}): StoredCampaign => ({
  campaignId: id('c'),
  name: 'Spring lamps',
  audience: { tiers: ['vip'], brands: ['Lumen'] },
  trigger: { type: 'now' },
  offer: { title: '10% off lamps', message: 'Today only', discountPercent: 10, couponTtlSeconds: 3600, itemIds: ['lamp-1'] },
  startsAt: T0,
  createdAt: T0,
  createdBy: 'mkt-1',
  ...overrides,
});
const rulesOf = (c: StoredCampaign): ReserveRules => ({
  startsAt: c.startsAt,
  ...(c.endsAt !== undefined ? { endsAt: c.endsAt } : {}),
  ...(c.stoppedAt !== undefined ? { stoppedAt: c.stoppedAt } : {}),
  ...(c.budget !== undefined ? { budget: c.budget } : {}),
  ...(c.frequencyCapSeconds !== undefined ? { frequencyCapSeconds: c.frequencyCapSeconds } : {}),
});
const promotion = (campaignId: string, memberId: string, overrides: Partial<PendingPromotion> = {}): PendingPromotion => ({
  promotionId: `${campaignId}:${memberId}`,
  campaignId,
  memberId,
  offeredAt: T0,
  title: '10% off lamps',
  message: 'Today only',
  items: ['lamp-1'],
  coupon: { code: `CODE${randomUUID().slice(0, 8).toUpperCase()}`, discountPercent: 10, ttlSeconds: 3600 },
  ...overrides,
});
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : err instanceof RangeError ? 'range' : String(err)),
  );

/** Stores standing in for `engines` engines on one shared state (Redis: one connection each). */
type Make = (engines?: number) => CampaignStore[];
const implementations: Array<[string, Make]> = [
  ['memory', (engines = 1) => Array(engines).fill(new MemoryCampaignStore())],
  [
    'redis',
    (engines = 1) => {
      const keyPrefix = randomPrefix();
      return Array.from({ length: engines }, (_, i) => {
        if (i === 0) return new RedisCampaignStore(redis, { keyPrefix });
        const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
        extraClients.push(client);
        return new RedisCampaignStore(client, { keyPrefix });
      });
    },
  ],
];

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

describe('RedisCampaignStore specifics', () => {
  it('keeps every key on the campaign, member or partition hash tag', async () => {
    const keyPrefix = randomPrefix();
    const store = new RedisCampaignStore(redis, { keyPrefix });
    const c = campaign();
    const m = id('m');
    await store.create(c);
    await store.offer(promotion(c.campaignId, m));
    await store.claim(m, T0, 1000, 10);
    await store.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0, true);
    await store.settle(m, `${c.campaignId}:${m}`, 'delivered', T0);
    await store.recordRedemption(c.campaignId, 'CODE1');
    await store.markFanOutDone(c.campaignId, 0);
    await store.armTimer(7, { campaignId: c.campaignId, memberId: m, dueAt: T0, eventId: 'e1' });
    await store.stop(c.campaignId, T0);
    const keys = (await redis.keys(`${keyPrefix}*`)).map((key) => key.slice(keyPrefix.length));
    const tags = new Set(keys.map((key) => /\{([^}]*)\}/.exec(key)?.[1] ?? '(none)'));
    expect(tags).toEqual(new Set([c.campaignId, m, 'p7', '(none)']));
    expect(keys.filter((key) => !key.includes('{'))).toEqual(['campaigns']);
    expect(keys.filter((key) => key.startsWith(`m:{${m}}:`)).every((key) => key.startsWith(`m:{${m}}:inbox`))).toBe(true);
  });

  it('skips an unreadable stored campaign, logging and counting it', async () => {
    const keyPrefix = randomPrefix();
    const warnings: unknown[] = [];
    const store = new RedisCampaignStore(redis, { keyPrefix, logger: { warn: (obj: unknown) => void warnings.push(obj) } as never });
    const good = campaign();
    await store.create(good);
    await redis.zadd(`${keyPrefix}campaigns`, T0 + 5, 'c_broken', T0 + 6, 'c_badshape');
    await redis.set(`${keyPrefix}cp:{c_broken}:def`, '{not json');
    await redis.set(
      `${keyPrefix}cp:{c_badshape}:def`,
      JSON.stringify({ ...campaign({ campaignId: 'c_badshape' }), trigger: { type: 'later' } }),
    );
    expect(await store.list(10)).toEqual([good]);
    expect(await store.get('c_broken')).toBeUndefined();
    expect(store.unreadableCount).toBe(3);
    expect(warnings).toHaveLength(3);
  });

  it('reports a lost connection as unavailable', async () => {
    const lost = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const store = new RedisCampaignStore(lost);
    expect(await codeOf(store.get('c_x'))).toBe('unavailable');
    expect(await codeOf(store.reserve('c_x', 'm_x', 'c_x:m_x', { startsAt: T0 }, T0, false))).toBe('unavailable');
    lost.disconnect();
  });
});
