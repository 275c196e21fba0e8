import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

type ErrorBody = { error: { code: string; message: string } };
type Session = { memberId: string; token: string };

/**
 * Member accounts end to end (`npm start` against real NATS and Redis): registration, the error
 * codes of issue 4's must-show 4, the profile, and a visitor's history joining the member's on
 * login exactly once.
 */
describe('member accounts', () => {
  const secret = 'e2e-secret-members';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let pulse: PulseProcess;
  const email = `ada.${Date.now().toString(36)}@example.com`;
  const password = 'difference engine';
  let ada: Session;

  const stateOf = async (userId: string) => ({
    st: await redis.hgetall(`u:{${userId}}:st`),
    recent: await redis.llen(`u:{${userId}}:recent`),
  });
  const waiting = { timeoutMs: 10_000, output: () => pulse.output().slice(-3000) };

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret });
    const res = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', {
      body: { email: ` ${email.toUpperCase()} `, password, name: 'Ada' },
    });
    expect(res.status).toBe(201);
    ada = res.body;
  });

  afterAll(async () => {
    await pulse?.stop();
    redis?.disconnect();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('registers with 201 and a member token carrying the regular tier', async () => {
    expect(ada.memberId).toMatch(/^m_/);
    const claims = decodeJwt(ada.token);
    expect(claims).toMatchObject({ sub: ada.memberId, role: 'member', tier: 'regular' });
    expect(claims.exp! - claims.iat!).toBe(7 * 24 * 3600);
  });

  it('returns the profile without the password hash', async () => {
    const me = await http<Record<string, unknown>>(pulse.baseUrl, 'GET', '/v1/members/me', { token: ada.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      memberId: ada.memberId,
      email,
      name: 'Ada',
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: expect.any(Number),
    });
    expect(JSON.stringify(me.body)).not.toMatch(/scrypt|password/i);
    const anonymous = await visitor(pulse.baseUrl);
    expect((await http<ErrorBody>(pulse.baseUrl, 'GET', '/v1/members/me', { token: anonymous.token })).body.error.code).toBe('forbidden');
    expect((await http(pulse.baseUrl, 'GET', '/v1/members/me')).status).toBe(401);
  });

  it('gives a duplicate, a malformed email, a short password and a wrong password their own codes, changing nothing', async () => {
    const before = await http(pulse.baseUrl, 'GET', '/v1/members/me', { token: ada.token });
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/members', { email, password: 'another password', name: 'Eve' }, 409, 'email_taken'],
      ['POST', '/v1/members', { email: email.toUpperCase(), password: 'another password', name: 'Eve' }, 409, 'email_taken'],
      ['POST', '/v1/members', { email: 'ada-at-example.com', password: 'another password', name: 'Eve' }, 400, 'invalid_email'],
      ['POST', '/v1/members', { email: 'eve@example.com', password: 'short', name: 'Eve' }, 400, 'invalid_password'],
      ['POST', '/v1/members', { email: 'eve@example.com', password: 'long enough', name: '' }, 400, 'invalid_request'],
      ['POST', '/v1/sessions', { email, password: 'not the password' }, 401, 'invalid_credentials'],
      ['POST', '/v1/sessions', { email: 'nobody@example.com', password }, 401, 'invalid_credentials'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await http<ErrorBody>(pulse.baseUrl, method, path, { body });
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await http(pulse.baseUrl, 'GET', '/v1/members/me', { token: ada.token })).toEqual(before);
    expect((await http<Session>(pulse.baseUrl, 'POST', '/v1/sessions', { body: { email, password } })).body.memberId).toBe(ada.memberId);
    expect(
      (await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/sessions', { body: { email: 'eve@example.com', password: 'another password' } }))
        .body.error.code,
    ).toBe('invalid_credentials');
  });

  it("merges a visitor's history into the member on login, once", async () => {
    const guest = await visitor(pulse.baseUrl);
    const category = 'electronics/audio';
    const catalog = await http<{ items: Item[] }>(pulse.baseUrl, 'GET', `/v1/items?category=${encodeURIComponent(category)}&limit=50`, {
      token: guest.token,
    });
    const viewed = catalog.body.items.slice(0, 6).map((item) => item.itemId);
    expect(viewed.length).toBeGreaterThanOrEqual(3);
    const events = viewed.map((itemId, i) => ({ id: `guest-view-${i}`, type: 'view', itemId }));
    expect(
      (await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', { token: guest.token, body: { events } })).body.accepted,
    ).toBe(viewed.length);
    await waitFor('the visitor views', async () => Number((await stateOf(guest.visitorId)).st['c:total'] ?? 0) === viewed.length, waiting);
    expect((await stateOf(ada.memberId)).recent).toBe(0);

    // Only the holder of the visitor's token may merge it: no token 401, someone else's 403; nothing merged.
    const other = await visitor(pulse.baseUrl);
    const noToken = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/sessions', { body: { email, password, visitorId: guest.visitorId } });
    expect([noToken.status, noToken.body.error.code]).toEqual([401, 'unauthorized']);
    const stolen = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/sessions', {
      token: other.token,
      body: { email, password, visitorId: guest.visitorId },
    });
    expect([stolen.status, stolen.body.error.code]).toEqual([403, 'forbidden']);

    const login = await http<Session>(pulse.baseUrl, 'POST', '/v1/sessions', {
      token: guest.token,
      body: { email, password, visitorId: guest.visitorId },
    });
    expect(login.status).toBe(200);
    expect(login.body.memberId).toBe(ada.memberId);
    expect(decodeJwt(login.body.token)).toMatchObject({ sub: ada.memberId, role: 'member', tier: 'regular' });
    await waitFor('the merge', async () => (await stateOf(ada.memberId)).st['c:merge'] === '1', waiting);
    const merged = await stateOf(ada.memberId);
    expect(merged.recent).toBe(viewed.length);

    // The member's own list now leans to what the visitor viewed.
    const list = await http<RecommendationList>(pulse.baseUrl, 'GET', `/v1/recommendations?k=10`, { token: login.body.token });
    expect(list.status).toBe(200);
    const categories = await Promise.all(
      list.body.items.map(
        async ({ itemId }) => (await http<Item>(pulse.baseUrl, 'GET', `/v1/items/${itemId}`, { token: login.body.token })).body.category,
      ),
    );
    expect(categories.filter((c) => c === category).length).toBeGreaterThanOrEqual(5);

    // Logging in again with the same visitor merges nothing more; a later own event still applies.
    const again = await http<Session>(pulse.baseUrl, 'POST', '/v1/sessions', {
      token: guest.token,
      body: { email, password, visitorId: guest.visitorId },
    });
    expect(again.status).toBe(200);
    await http(pulse.baseUrl, 'POST', '/v1/events', {
      token: login.body.token,
      body: { events: [{ id: 'own-1', type: 'view', itemId: viewed[0] }] },
    });
    await waitFor('the member event', async () => (await stateOf(ada.memberId)).st['c:view'] === '1', waiting);
    const after = await stateOf(ada.memberId);
    expect(after.st['c:merge']).toBe('1');
    expect(after.st['c:total']).toBe('2');
    expect(after.recent).toBe(viewed.length + 1);
  });
});
