import { jetstream } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopperProfile } from '../../engine/contracts/analytics.js';
import { mergeEventId, type Item, type StoredMergeEvent } from '../../engine/contracts/schemas.js';
import { eventMessageId, partitionOf, subjects } from '../../engine/contracts/subjects.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

type ErrorBody = { error: { code: string; message: string } };
type Session = { memberId: string; token: string };
type History = { events: Array<{ itemId: string; type: string; ts: number }> };

const PARTITIONS = 4;

/**
 * Issue 14 end to end (`npm start` against real NATS and Redis): a visitor browses and fills a
 * cart, then registers with its own token; the new member's history and cart are the visitor's,
 * once: after a retried registration, a refused one, a login with the same visitor token, and a
 * copy of the merge arriving past JetStream's duplicate window. A registration with a forged
 * token for someone else's visitor makes no account and merges nothing.
 */
describe('registering keeps the visitor history, once', () => {
  const secret = 'e2e-secret-register-merge';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let pulse: PulseProcess;
  const password = 'difference engine';

  const counters = (userId: string) => redis.hgetall(`u:{${userId}}:st`);
  const waiting = { timeoutMs: 15_000, output: () => pulse.output().slice(-3000) };
  const history = async (token: string) => {
    const res = await http<History>(pulse.baseUrl, 'GET', '/v1/members/me/history?limit=200', { token });
    expect(res.status).toBe(200);
    return res.body.events.map((e) => `${e.type}:${e.itemId}`).sort();
  };
  const cartOf = async (userId: string, token: string) => {
    const res = await http<ShopperProfile>(pulse.baseUrl, 'GET', `/v1/users/${userId}/profile`, { token });
    expect(res.status).toBe(200);
    return res.body.cart;
  };
  /** A visitor who viewed four items and put two in the cart (3 + 1), all applied by the engine. */
  const browsingVisitor = async (prefix: string) => {
    const guest = await visitor(pulse.baseUrl);
    const catalog = await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=50', { token: guest.token });
    const items = catalog.body.items.filter((item) => item.inStock !== false).slice(0, 4);
    expect(items).toHaveLength(4);
    const [a, b] = items as [Item, Item];
    const events = [
      ...items.map((item, i) => ({ id: `${prefix}-view-${i}`, type: 'view', itemId: item.itemId })),
      { id: `${prefix}-cart-0`, type: 'add_to_cart', itemId: a.itemId, items: [{ itemId: a.itemId, quantity: 3, price: a.price }] },
      { id: `${prefix}-cart-1`, type: 'add_to_cart', itemId: b.itemId, items: [{ itemId: b.itemId, quantity: 1, price: b.price }] },
    ];
    const sent = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', { token: guest.token, body: { events } });
    expect(sent.body.accepted).toBe(events.length);
    await waitFor(`${prefix}'s events`, async () => Number((await counters(guest.visitorId))['c:total'] ?? 0) === events.length, waiting);
    const expected = events.map((e) => `${e.type}:${e.itemId}`).sort();
    return { ...guest, expected, cart: await cartOf(guest.visitorId, guest.token) };
  };

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url);
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redisServer.url,
      authSecret: secret,
      env: { PULSE_PARTITIONS: String(PARTITIONS) },
    });
  }, 60_000);

  afterAll(async () => {
    await pulse?.stop();
    redis?.disconnect();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it("gives the new member the visitor's views and cart once, through retries, a login and a late copy", async () => {
    const guest = await browsingVisitor('guest');
    expect(guest.cart).toEqual({ lines: 2, quantity: 4 });
    const email = `grace.${Date.now().toString(36)}@example.com`;
    const body = { email, password, name: 'Grace' };

    const registered = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', { token: guest.token, body });
    expect(registered.status).toBe(201);
    const member = registered.body;
    await waitFor('the merge', async () => (await counters(member.memberId))['c:merge'] === '1', waiting);
    expect(await history(member.token)).toEqual(guest.expected);
    expect(await cartOf(member.memberId, member.token)).toEqual(guest.cart);

    // The same registration again (a lost answer): the same member, no second merge.
    const retried = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', { token: guest.token, body });
    expect([retried.status, retried.body.memberId]).toEqual([201, member.memberId]);
    // Someone registering the email with another password: refused, nothing merged.
    const taken = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/members', {
      token: guest.token,
      body: { ...body, password: 'another password' },
    });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'email_taken']);
    // Logging in later with the same visitor token (as the storefront does after a logout and back).
    const login = await http<Session>(pulse.baseUrl, 'POST', '/v1/sessions', {
      token: guest.token,
      body: { email, password, visitorId: guest.visitorId },
    });
    expect([login.status, login.body.memberId]).toEqual([200, member.memberId]);
    // The merge once more, straight onto EVENTS under a fresh message id: as a login past JetStream's
    // duplicate window would arrive. The state store's marker of (member, merge:<visitor>) must drop it.
    const nc = await connectNats({ servers: nats.url });
    try {
      const now = Date.now();
      const copy: StoredMergeEvent = {
        type: 'merge',
        id: mergeEventId(guest.visitorId),
        userId: member.memberId,
        fromUserId: guest.visitorId,
        ts: now,
        receivedAt: now,
      };
      const ack = await jetstream(nc).publish(subjects.events(partitionOf(member.memberId, PARTITIONS)), JSON.stringify(copy), {
        msgID: `${eventMessageId(member.memberId, copy.id)}#late`,
      });
      expect(ack.duplicate).toBe(false);
    } finally {
      await nc.close();
    }

    // The member's own event after all of them on its partition: once it is applied, so are they.
    const own = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', {
      token: member.token,
      body: { events: [{ id: 'grace-own-1', type: 'like', itemId: guest.expected[0]!.split(':')[1] }] },
    });
    expect(own.body.accepted).toBe(1);
    await waitFor('the member event', async () => (await counters(member.memberId))['c:like'] === '1', waiting);
    const after = await counters(member.memberId);
    expect([after['c:merge'], after['c:total']]).toEqual(['1', '2']);
    expect(await history(member.token)).toEqual([...guest.expected, `like:${guest.expected[0]!.split(':')[1]}`].sort());
    expect(await cartOf(member.memberId, member.token)).toEqual(guest.cart);
  }, 60_000);

  it("merges nobody's history for a forged token, and only the caller's own for a real one", async () => {
    const victim = await browsingVisitor('victim');
    const attacker = await visitor(pulse.baseUrl);
    const email = `mallory.${Date.now().toString(36)}@example.com`;
    const body = { email, password, name: 'Mallory' };

    // A token naming the victim's visitor, signed with a guessed secret: 401, no account.
    const forged = `${victim.token.split('.').slice(0, 2).join('.')}.${Buffer.from('not the signature').toString('base64url')}`;
    const refused = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/members', { token: forged, body });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
    // The victim's id in the body is no way in either.
    const named = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/members', {
      token: attacker.token,
      body: { ...body, visitorId: victim.visitorId },
    });
    expect([named.status, named.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/sessions', { body: { email, password } })).status).toBe(401);

    // With the attacker's own (empty) visitor token: an account holding none of the victim's history.
    const mallory = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', { token: attacker.token, body });
    expect(mallory.status).toBe(201);
    await waitFor("the attacker's own merge", async () => (await counters(mallory.body.memberId))['c:merge'] === '1', waiting);
    expect(await history(mallory.body.token)).toEqual([]);
    expect(await cartOf(mallory.body.memberId, mallory.body.token)).toEqual({ lines: 0, quantity: 0 });

    // The victim registers in turn and gets its own history, once.
    const victimMember = await http<Session>(pulse.baseUrl, 'POST', '/v1/members', {
      token: victim.token,
      body: { email: `victor.${Date.now().toString(36)}@example.com`, password, name: 'Victor' },
    });
    expect(victimMember.status).toBe(201);
    await waitFor("the victim's merge", async () => (await counters(victimMember.body.memberId))['c:merge'] === '1', waiting);
    expect(await history(victimMember.body.token)).toEqual(victim.expected);
    expect(await cartOf(victimMember.body.memberId, victimMember.body.token)).toEqual(victim.cart);
  }, 60_000);
});
