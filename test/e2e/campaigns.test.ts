import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Campaign, CampaignStats, Promotion } from '../../engine/contracts/campaigns.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Item } from '../../engine/contracts/schemas.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import type { DeliveredPromotion } from '../../engine/campaigns/campaign-store.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor, waitForValue } from '../helpers/wait-for.js';

type ErrorBody = { error: { code: string } };
type Session = { memberId: string; token: string };

/** Visible to every tier and in stock: any member may be offered and shown it. */
const catalog = generateDemoCatalog().filter((item) => (!item.minTier || item.minTier === 'regular') && item.inStock !== false);
/** The two brands with the most such items: X is the campaign's, Y another taste. */
function twoBrands(): [Item[], Item[]] {
  const byBrand = new Map<string, Item[]>();
  for (const item of catalog) if (item.brand) byBrand.set(item.brand, [...(byBrand.get(item.brand) ?? []), item]);
  const [x, y] = [...byBrand.values()].sort((a, b) => b.length - a.length);
  return [x!, y!];
}

/** Records every `promotion` a socket receives, with the time it arrived (performance.now()). */
function recordPromotions(socket: Socket): Array<{ at: number; promotion: Promotion }> {
  const received: Array<{ at: number; promotion: Promotion }> = [];
  socket.on('promotion', (promotion: Promotion) => received.push({ at: performance.now(), promotion }));
  return received;
}

/**
 * Campaigns end to end (`npm start` on real NATS and Redis, VIP from 100 lifetime points): issue
 * 5's must-show 1 (a `now` campaign for VIPs with an affinity for brand X), 4 (its coupon redeems
 * once and shows in history and stats) and 5 (bad campaigns and roles refused).
 */
describe('campaigns: now, delivery, coupon, refusals', () => {
  const secret = 'e2e-secret-campaigns';
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let marketing: string;
  let shopToken: string;
  const sockets: Socket[] = [];
  const [brandX, brandY] = twoBrands();
  const brand = brandX[0]!.brand!;
  let vip: Session;
  let regular: Session;
  let offlineVip: Session;
  let otherVip: Session;
  let campaign: Campaign;
  let vipPromotion: Promotion;
  const waiting = { output: () => pulse.output().slice(-4000) };

  const register = async (name: string): Promise<Session> => {
    const body = { email: `${name}.${Date.now().toString(36)}@example.com`, password: 'campaigns please', name };
    // A busy password pool answers 503 or 429 with Retry-After: http() sends the same body again (safe: it answers as the first did).
    const res = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', { body });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Views and clicks of `items` (the brand affinity), and with `buy` one order over 100 (VIP). */
  const shop = async (member: Session, items: Item[], buy: boolean) => {
    const events: unknown[] = items.slice(0, 3).flatMap((item) => [
      { type: 'view', itemId: item.itemId },
      { type: 'click', itemId: item.itemId },
    ]);
    const bought = items[3]!;
    if (buy)
      events.push({
        id: `buy-${member.memberId}`,
        type: 'purchase',
        orderId: `o-${member.memberId}`,
        items: [{ itemId: bought.itemId, quantity: Math.ceil(150 / bought.price), price: bought.price }],
      });
    const res = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', { token: member.token, body: { events } });
    expect(res.body.accepted).toBe(events.length);
    if (!buy) return;
    // The points (and so the tier) come from the shop's order, not the browser's purchase.
    const order = {
      orderId: `o-${member.memberId}`,
      userId: member.memberId,
      status: 'paid',
      lines: [{ itemId: bought.itemId, quantity: Math.ceil(150 / bought.price), price: bought.price }],
    };
    expect((await http(pulse.baseUrl, 'POST', '/v1/orders', { token: shopToken, body: order })).status).toBe(202);
  };
  const tierOf = async (member: Session) =>
    (await http<{ tier: string }>(pulse.baseUrl, 'GET', '/v1/members/me', { token: member.token })).body.tier;
  const stats = async (campaignId: string) =>
    (await http<CampaignStats>(pulse.baseUrl, 'GET', `/v1/campaigns/${campaignId}/stats`, { token: marketing })).body;
  const connect = async (member: Session) => {
    const socket = await connectSocket(pulse.baseUrl, member.token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret, env: { TIER_VIP_POINTS: '100' } });
    marketing = await new TokenService(secret).sign({ sub: 'marketer-1', role: 'marketing' }, 3600);
    shopToken = await new TokenService(secret).sign({ sub: 'shop-1', role: 'shop' }, 3600);
    [vip, regular, offlineVip, otherVip] = await Promise.all([
      register('vip'),
      register('regular'),
      register('offline'),
      register('other'),
    ]);
    await Promise.all([
      shop(vip, brandX, true),
      shop(regular, brandX, false),
      shop(offlineVip, brandX, true),
      shop(otherVip, brandY, true),
    ]);
    for (const member of [vip, offlineVip, otherVip])
      await waitForValue(
        'VIP tier',
        () => tierOf(member),
        (tier) => tier === 'vip',
        waiting,
      );
    // The audience as the engine sees it: the two VIPs who like X, once their events are applied.
    await waitForValue(
      'the audience preview',
      async () =>
        (
          await http<{ size: number; members: number }>(pulse.baseUrl, 'POST', '/v1/campaigns/preview', {
            token: marketing,
            body: { audience: { tiers: ['vip'], brands: [brand] } },
          })
        ).body,
      (preview) => preview.size === 2,
      waiting,
    );
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('must-show 1: a connected VIP who likes X gets the promotion within 100 ms, a regular member none, an offline VIP exactly once on reconnect', async () => {
    const preview = await http<{ size: number; members: number }>(pulse.baseUrl, 'POST', '/v1/campaigns/preview', {
      token: marketing,
      body: { audience: { tiers: ['vip'], brands: [brand] } },
    });
    expect(preview.body).toEqual({ size: 2, members: 4 });
    const vipSocket = await connect(vip);
    const regularSocket = await connect(regular);
    const otherSocket = await connect(otherVip);
    const [toVip, toRegular, toOther] = [recordPromotions(vipSocket), recordPromotions(regularSocket), recordPromotions(otherSocket)];
    // Let the connect claims (empty inboxes) finish first.
    await sleep(300);

    const body = {
      name: `${brand} week for VIPs`,
      audience: { tiers: ['vip'], brands: [brand] },
      trigger: { type: 'now' },
      offer: { title: `${brand} week`, message: `10% off ${brand}`, discountPercent: 10, itemIds: [brandX[0]!.itemId] },
    };
    const res = await http<Campaign>(pulse.baseUrl, 'POST', '/v1/campaigns', { token: marketing, body });
    const created = performance.now();
    expect(res.status).toBe(201);
    campaign = res.body;
    expect(campaign).toMatchObject({ name: body.name, status: 'running', createdBy: 'marketer-1', trigger: { type: 'now' } });

    await waitForValue(
      'the VIP promotion',
      async () => toVip.length,
      (n) => n > 0,
      { ...waiting, timeoutMs: 5000 },
    );
    const latencyMs = toVip[0]!.at - created;
    console.log(`promotion received ${latencyMs.toFixed(1)} ms after the 201 of POST /v1/campaigns`);
    vipPromotion = toVip[0]!.promotion;
    expect(vipPromotion).toMatchObject({
      promotionId: `${campaign.campaignId}:${vip.memberId}`,
      campaignId: campaign.campaignId,
      title: body.offer.title,
      message: body.offer.message,
      items: body.offer.itemIds,
      coupon: { discountPercent: 10 },
    });
    expect(vipPromotion.coupon!.code).toMatch(/^[A-HJ-NP-Z2-9]{12}$/);

    // The offline VIP is queued, then gets it on connect, once; reconnecting twice brings nothing more.
    const queued = await waitForValue(
      'the offline offer',
      () => stats(campaign.campaignId),
      (s) => s.targeted === 2,
      waiting,
    );
    expect(queued).toMatchObject({ targeted: 2, delivered: 1, queued: 1, live: 1 });
    let offlineReceived: Promotion[] = [];
    for (let connectCount = 1; connectCount <= 3; connectCount++) {
      const socket = await connect(offlineVip);
      const got = recordPromotions(socket);
      // The first connect claims the queued offer (however long a loaded machine takes); every
      // connect then waits a moment for anything more, which must not come.
      if (connectCount === 1) await waitFor('the queued offer on connect', () => got.length > 0, waiting);
      await sleep(500);
      socket.close();
      offlineReceived = [...offlineReceived, ...got.map((g) => g.promotion)];
      expect(offlineReceived.map((p) => p.promotionId)).toEqual([`${campaign.campaignId}:${offlineVip.memberId}`]);
    }
    expect(offlineReceived[0]!.coupon!.code).not.toBe(vipPromotion.coupon!.code);

    expect(toVip).toHaveLength(1);
    expect(toRegular).toEqual([]);
    expect(toOther).toEqual([]);
    expect(await stats(campaign.campaignId)).toEqual({ targeted: 2, delivered: 2, queued: 0, redeemed: 0, live: 1, status: 'running' });
  });

  it('must-show 4: the promotion coupon redeems once and shows in the history and the campaign stats', async () => {
    const code = vipPromotion.coupon!.code;
    const redeem = () =>
      http<Coupon & ErrorBody>(pulse.baseUrl, 'POST', `/v1/members/me/coupons/${code}/redeem`, {
        token: vip.token,
        body: { orderId: 'o-campaign-1' },
      });
    const first = await redeem();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      code,
      kind: 'percent',
      discountPercent: 10,
      source: { type: 'campaign', id: campaign.campaignId },
      orderId: 'o-campaign-1',
    });
    const second = await redeem();
    expect([second.status, second.body.error.code]).toEqual([409, 'coupon_used']);

    const history = await http<{ coupons: Coupon[]; promotions: DeliveredPromotion[] }>(pulse.baseUrl, 'GET', '/v1/members/me/history', {
      token: vip.token,
    });
    expect(history.status).toBe(200);
    expect(history.body.coupons.find((c) => c.code === code)).toMatchObject({ redeemedAt: first.body.redeemedAt, orderId: 'o-campaign-1' });
    expect(history.body.promotions).toEqual([
      {
        promotionId: vipPromotion.promotionId,
        campaignId: campaign.campaignId,
        title: vipPromotion.title,
        deliveredAt: expect.any(Number),
        couponCode: code,
      },
    ]);
    expect(await stats(campaign.campaignId)).toMatchObject({ delivered: 2, redeemed: 1 });
  });

  it('must-show 5: bad campaigns are refused with their codes, roles are enforced, and the process keeps serving', async () => {
    const good = { name: 'ok', audience: { tiers: ['vip'] }, trigger: { type: 'now' }, offer: { title: 't', message: 'm' } };
    const now = Date.now();
    const cases: Array<[string, unknown]> = [
      ['unknown_trigger', { ...good, trigger: { type: 'whenever' } }],
      ['invalid_schedule', { ...good, startsAt: now + 60_000, endsAt: now + 30_000 }],
      ['invalid_budget', { ...good, budget: -5 }],
      ['empty_audience', { ...good, audience: {} }],
    ];
    const before = (await http<{ campaigns: Campaign[] }>(pulse.baseUrl, 'GET', '/v1/campaigns', { token: marketing })).body.campaigns
      .length;
    for (const [code, body] of cases) {
      const res = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/campaigns', { token: marketing, body });
      expect([res.status, res.body.error.code]).toEqual([400, code]);
    }
    const member = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/campaigns', { token: vip.token, body: good });
    expect([member.status, member.body.error.code]).toEqual([403, 'forbidden']);
    expect((await http<ErrorBody>(pulse.baseUrl, 'GET', `/v1/campaigns/${campaign.campaignId}/stats`, { token: vip.token })).status).toBe(
      403,
    );
    const anonymous = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/campaigns', { body: good });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'unauthorized']);

    // Nothing was stored; the process still serves, and a stop is a stop.
    const listed = await http<{ campaigns: Campaign[] }>(pulse.baseUrl, 'GET', '/v1/campaigns', { token: marketing });
    expect(listed.body.campaigns).toHaveLength(before);
    expect(listed.body.campaigns[0]).toMatchObject({ campaignId: campaign.campaignId });
    const stopped = await http<Campaign>(pulse.baseUrl, 'DELETE', `/v1/campaigns/${campaign.campaignId}`, { token: marketing });
    expect([stopped.status, stopped.body.status]).toEqual([200, 'stopped']);
    expect((await http<ErrorBody>(pulse.baseUrl, 'GET', '/v1/campaigns/cmp_missing', { token: marketing })).body.error.code).toBe(
      'not_found',
    );
  });
});
