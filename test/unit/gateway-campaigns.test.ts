import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkCampaign, type Campaign, type CampaignStats } from '../../engine/contracts/campaigns.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RpcMethods } from '../../engine/contracts/messages.js';
import { startHarness, type Harness } from './gateway-harness.js';

type Calls = {
  [M in 'campaigns.create' | 'campaigns.list' | 'campaigns.get' | 'campaigns.stop' | 'campaigns.stats' | 'campaigns.preview']: Array<
    RpcMethods[M]['request']
  >;
};

const HOUR = 3600 * 1000;

/** A campaign the first must-show would create: VIP members with an affinity for brand Lumo. */
const vipLumo = () => ({
  name: 'VIP lamps',
  audience: { tiers: ['vip'], brands: ['Lumo'] },
  trigger: { type: 'now' },
  offer: { title: '10% off Lumo', message: 'Just for you', discountPercent: 10 },
  budget: 100,
});

/** What a fake engine stores for a create: the checked definition, as the real one would. */
function stored(input: unknown, createdBy: string): Campaign {
  const check = checkCampaign(input, Date.now());
  if (!check.ok) throw new PulseError(check.code, check.message, check.details);
  return { ...check.definition, campaignId: 'c-1', createdAt: 1_700_000_000_000, createdBy, status: 'running' };
}

describe('gateway campaign routes', () => {
  let h: Harness;
  let calls: Calls;
  let marketing: string;
  let admin: string;
  const known = stored(vipLumo(), 'mkt-1');
  const stats: CampaignStats = { targeted: 12, delivered: 9, queued: 3, redeemed: 2, live: 7, status: 'running' };
  const unknownId = (campaignId: string) => new PulseError(ErrorCodes.notFound, `no campaign "${campaignId}"`);

  beforeAll(async () => {
    h = await startHarness({ env: { MAX_BODY_BYTES: '4096' } });
    const rpc = h.transport.rpcServer;
    rpc.serve('campaigns.create', async (request) => {
      calls['campaigns.create'].push(request);
      // The engine checks again with its own clock: for this one it sees the end as already past.
      if ((request.input as { name?: unknown }).name === 'ends now')
        throw new PulseError(ErrorCodes.invalidSchedule, 'endsAt is already past', { endsAt: '1' });
      return stored(request.input, request.createdBy);
    });
    rpc.serve('campaigns.list', async (request) => {
      calls['campaigns.list'].push(request);
      return { campaigns: [known] };
    });
    rpc.serve('campaigns.get', async (request) => {
      calls['campaigns.get'].push(request);
      if (request.campaignId !== known.campaignId) throw unknownId(request.campaignId);
      return known;
    });
    rpc.serve('campaigns.stats', async (request) => {
      calls['campaigns.stats'].push(request);
      if (request.campaignId !== known.campaignId) throw unknownId(request.campaignId);
      return stats;
    });
    rpc.serve('campaigns.stop', async (request) => {
      calls['campaigns.stop'].push(request);
      if (request.campaignId !== known.campaignId) throw unknownId(request.campaignId);
      return { ...known, stoppedAt: 1_700_000_100_000, status: 'stopped' };
    });
    rpc.serve('campaigns.preview', async (request) => {
      calls['campaigns.preview'].push(request);
      return { size: 42, members: 1000 };
    });
    marketing = await h.token('marketing', 'mkt-1');
    admin = await h.token('admin', 'admin-1');
  });
  beforeEach(() => {
    calls = {
      'campaigns.create': [],
      'campaigns.list': [],
      'campaigns.get': [],
      'campaigns.stop': [],
      'campaigns.stats': [],
      'campaigns.preview': [],
    };
  });
  afterAll(() => h.close());

  const forwarded = () => Object.values(calls).reduce((sum, list) => sum + list.length, 0);
  const routes: Array<{ method: string; path: string; json?: unknown }> = [
    { method: 'POST', path: '/v1/campaigns', json: vipLumo() },
    { method: 'GET', path: '/v1/campaigns' },
    { method: 'GET', path: '/v1/campaigns/c-1' },
    { method: 'GET', path: '/v1/campaigns/c-1/stats' },
    { method: 'DELETE', path: '/v1/campaigns/c-1' },
    { method: 'POST', path: '/v1/campaigns/preview', json: { audience: { tiers: ['vip'] } } },
  ];

  describe('roles', () => {
    it('answers 401 unauthorized without a token and 403 forbidden to member and visitor tokens, forwarding nothing', async () => {
      const member = await h.token('member', 'm-1', 'vip');
      const visitor = await h.token('visitor', 'v_1');
      for (const route of routes) {
        const anonymous = await h.fetch(route.path, { method: route.method, json: route.json });
        expect(anonymous.status, `${route.method} ${route.path}`).toBe(401);
        expect(anonymous.body).toMatchObject({ error: { code: 'unauthorized' } });
        for (const token of [member, visitor]) {
          const refused = await h.fetch(route.path, { method: route.method, json: route.json, token });
          expect(refused.status, `${route.method} ${route.path}`).toBe(403);
          expect(refused.body).toEqual({ error: { code: 'forbidden', message: 'requires role marketing or admin' } });
        }
      }
      // A bad body from a member is still 403: the role is checked before the body.
      expect((await h.fetch('/v1/campaigns', { method: 'POST', json: { name: 'x' }, token: member })).status).toBe(403);
      expect(forwarded()).toBe(0);
    });

    it('serves every route to marketing and admin tokens', async () => {
      for (const token of [marketing, admin]) {
        for (const route of routes) {
          const res = await h.fetch(route.path, { method: route.method, json: route.json, token });
          expect(res.status, `${route.method} ${route.path}`).toBe(route.path === '/v1/campaigns' && route.method === 'POST' ? 201 : 200);
        }
      }
      expect(forwarded()).toBe(2 * routes.length);
    });
  });

  describe('create', () => {
    it('forwards {input: body, createdBy: sub} and answers 201 with the campaign', async () => {
      const body = { ...vipLumo(), endsAt: Date.now() + 24 * HOUR };
      const res = await h.fetch('/v1/campaigns', { method: 'POST', json: body, token: admin });
      expect(res.status).toBe(201);
      expect(calls['campaigns.create']).toEqual([{ input: body, createdBy: 'admin-1' }]);
      expect(res.body).toMatchObject({
        campaignId: 'c-1',
        createdBy: 'admin-1',
        name: 'VIP lamps',
        audience: { tiers: ['vip'], brands: ['Lumo'] },
        trigger: { type: 'now' },
        budget: 100,
        status: 'running',
      });
    });

    const now = Date.now();
    const refusals: Array<{ why: string; body: unknown; code: string; details?: Record<string, unknown> }> = [
      {
        why: 'unknown trigger',
        body: { ...vipLumo(), trigger: { type: 'flash_sale' } },
        code: 'unknown_trigger',
        details: { 'trigger.type': 'flash_sale' },
      },
      { why: 'no trigger', body: { ...vipLumo(), trigger: undefined }, code: 'unknown_trigger' },
      {
        why: 'end before start',
        body: { ...vipLumo(), startsAt: now + 2 * HOUR, endsAt: now + HOUR },
        code: 'invalid_schedule',
        // Instants as ISO text, not epoch ms (issue 16: readable in the console and for API users).
        details: { endsAt: `${new Date(now + HOUR).toISOString()}: not after startsAt`, startsAt: new Date(now + 2 * HOUR).toISOString() },
      },
      { why: 'negative budget', body: { ...vipLumo(), budget: -5 }, code: 'invalid_budget', details: { budget: '-5' } },
      { why: 'fractional budget', body: { ...vipLumo(), budget: 2.5 }, code: 'invalid_budget' },
      { why: 'no audience', body: { ...vipLumo(), audience: undefined }, code: 'empty_audience' },
      { why: 'empty audience', body: { ...vipLumo(), audience: {} }, code: 'empty_audience' },
      { why: 'an empty tier list', body: { ...vipLumo(), audience: { tiers: [] } }, code: 'empty_audience' },
      {
        why: 'an offer without a title',
        body: { ...vipLumo(), offer: { message: 'hi' } },
        code: 'invalid_campaign',
        details: { 'offer.title': expect.any(String) },
      },
      {
        why: 'an unknown tier',
        body: { ...vipLumo(), audience: { tiers: ['gold'] } },
        code: 'invalid_campaign',
        details: { 'audience.tiers.0': expect.any(String) },
      },
      { why: 'an unknown field', body: { ...vipLumo(), priority: 1 }, code: 'invalid_campaign' },
      { why: 'a body that is not an object', body: ['VIP lamps'], code: 'invalid_campaign' },
      { why: 'no body', body: undefined, code: 'invalid_campaign' },
    ];
    for (const { why, body, code, details } of refusals) {
      it(`refuses ${why} with 400 ${code}, forwarding nothing`, async () => {
        const res = await h.fetch('/v1/campaigns', { method: 'POST', json: body, token: marketing });
        expect(res.status).toBe(400);
        // The gateway's answer is checkCampaign's own: the code, its message and details.
        const check = checkCampaign(body, Date.now());
        expect(check.ok).toBe(false);
        const error = (res.body as { error: { code: string; message: string; details?: Record<string, string> } }).error;
        expect(error.code).toBe(code);
        if (!check.ok) expect(error.message).toBe(check.message);
        if (details) expect(error.details).toMatchObject(details);
        expect(calls['campaigns.create']).toHaveLength(0);
      });
    }

    it("passes the engine's own refusal through", async () => {
      const res = await h.fetch('/v1/campaigns', { method: 'POST', json: { ...vipLumo(), name: 'ends now' }, token: marketing });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_schedule', message: 'endsAt is already past', details: { endsAt: '1' } } });
      expect(calls['campaigns.create']).toHaveLength(1);
    });

    it('refuses a body over MAX_BODY_BYTES with 413 and keeps serving', async () => {
      const big = { ...vipLumo(), offer: { title: 'big', message: 'x'.repeat(5000) } };
      const res = await h.fetch('/v1/campaigns', { method: 'POST', json: big, token: marketing });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
      expect(calls['campaigns.create']).toHaveLength(0);
      expect((await h.fetch('/v1/campaigns', { token: marketing })).status).toBe(200);
    });
  });

  describe('read, stats, stop', () => {
    it('lists, reads, gives stats and stops by id, with the engine answers as they are', async () => {
      expect((await h.fetch('/v1/campaigns', { token: marketing })).body).toEqual({ campaigns: [known] });
      expect(calls['campaigns.list']).toEqual([{}]);
      expect((await h.fetch('/v1/campaigns/c-1', { token: marketing })).body).toEqual(known);
      expect(calls['campaigns.get']).toEqual([{ campaignId: 'c-1' }]);
      const statsRes = await h.fetch('/v1/campaigns/c-1/stats', { token: marketing });
      expect(statsRes.body).toEqual({ targeted: 12, delivered: 9, queued: 3, redeemed: 2, live: 7, status: 'running' });
      expect(calls['campaigns.stats']).toEqual([{ campaignId: 'c-1' }]);
      const stopped = await h.fetch('/v1/campaigns/c-1', { method: 'DELETE', token: marketing });
      expect(stopped.status).toBe(200);
      expect(stopped.body).toEqual({ ...known, stoppedAt: 1_700_000_100_000, status: 'stopped' });
      expect(calls['campaigns.stop']).toEqual([{ campaignId: 'c-1' }]);
    });

    it("passes the engine's not_found through as 404 for unknown ids", async () => {
      for (const [method, path] of [
        ['GET', '/v1/campaigns/nope'],
        ['GET', '/v1/campaigns/nope/stats'],
        ['DELETE', '/v1/campaigns/nope'],
      ] as const) {
        const res = await h.fetch(path, { method, token: marketing });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body).toEqual({ error: { code: 'not_found', message: 'no campaign "nope"' } });
      }
    });

    it('refuses a malformed id with 400 invalid_request, forwarding nothing', async () => {
      // (Ids over Fastify's 100-character path parameter limit never reach a route: 414.)
      for (const [method, path] of [
        ['GET', '/v1/campaigns/a%20b'],
        ['GET', '/v1/campaigns/bad!id/stats'],
        ['DELETE', '/v1/campaigns/%F0%9F%8E%81'],
      ] as const) {
        const res = await h.fetch(path, { method, token: marketing });
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'invalid_request', details: { id: expect.any(String) } } });
      }
      expect(forwarded()).toBe(0);
    });
  });

  describe('preview', () => {
    it('forwards {audience} and answers {size, members}', async () => {
      const audience = { tiers: ['vip'], categories: ['home'], minPoints: 100, segment: 'brand_loyal:Lumo' };
      const res = await h.fetch('/v1/campaigns/preview', { method: 'POST', json: { audience }, token: marketing });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ size: 42, members: 1000 });
      expect(calls['campaigns.preview']).toEqual([{ audience }]);
    });

    it('refuses an empty or invalid audience with the codes create gives, forwarding nothing', async () => {
      const cases: Array<[unknown, string]> = [
        [{}, 'empty_audience'],
        [{ audience: {} }, 'empty_audience'],
        [{ audience: { brands: [] } }, 'empty_audience'],
        [undefined, 'empty_audience'],
        [{ audience: { tiers: ['gold'] } }, 'invalid_campaign'],
        [{ audience: { segment: 'whales' } }, 'invalid_campaign'],
        [{ audience: { tiers: ['vip'] }, trigger: { type: 'now' } }, 'invalid_request'],
      ];
      for (const [body, code] of cases) {
        const res = await h.fetch('/v1/campaigns/preview', { method: 'POST', json: body, token: marketing });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect((res.body as { error: { code: string } }).error.code, JSON.stringify(body)).toBe(code);
      }
      expect(calls['campaigns.preview']).toHaveLength(0);
    });
  });
});
