import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireError } from '../../engine/contracts/errors.js';
import { orderEventId } from '../../engine/contracts/order-keys.js';
import type { StoredOrderEvent } from '../../engine/contracts/orders.js';
import { eventMessageId, partitionOf, subjects } from '../../engine/contracts/subjects.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import type { LedgerEntry } from '../../engine/members/member-store.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, emitWithAck, http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

/** Points per currency unit of a regular member here; the tier thresholds are out of reach, so every order earns at this rate. */
const RATE = 2.5;
const PARTITIONS = 8;
const MEMBERS = 12;

type ShopOrder = { orderId: string; userId: string; status: 'paid'; lines: Array<{ itemId: string; quantity: number; price: number }> };
type Member = { memberId: string; token: string; socket: Socket };
type Profile = { memberId: string; tier: string; points: number; lifetimePoints: number };

/**
 * End to end (nats-server, redis-server, a spawned engine and gateway): each shop order
 * (`POST /v1/orders`, the only source of points) credits its member once, though it is posted
 * three times, the engine is SIGKILLed mid-burst (posts refused meanwhile are retried), and acked
 * ones are sent again (through the gateway, and as copies straight onto EVENTS such as arrive
 * after JetStream's duplicate window); and one coupon redeemed from two sockets at the same
 * moment is used exactly once.
 */
describe('points and coupons exactly once, across an engine SIGKILL', () => {
  const secret = 'e2e-secret-points-once';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let gateway: PulseProcess;
  let engine: PulseProcess;
  let options: SpawnPulseOptions;
  let shop: string;
  const members: Member[] = [];
  const items = generateDemoCatalog().filter((item) => !item.minTier || item.minTier === 'regular');

  const register = async (name: string): Promise<Member> => {
    const body = { email: `${name}.${Date.now().toString(36)}@example.com`, password: 'points once please', name };
    // A busy password pool answers 503 or 429 with Retry-After: http() sends the same body again (safe: it answers as the first did).
    const res = await http<{ memberId: string; token: string }>(gateway.baseUrl, 'POST', '/v1/members', { body });
    expect(res.status).toBe(201);
    return { ...res.body, socket: await connectSocket(gateway.baseUrl, res.body.token) };
  };
  const ledgerLength = (memberId: string) => redis.llen(`m:{${memberId}}:ledger`);
  const appliedTotal = async () => (await Promise.all(members.map((m) => ledgerLength(m.memberId)))).reduce((a, b) => a + b, 0);
  const waiting = { intervalMs: 200, output: () => engine.output().slice(-3000) };

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    // Short lease and ack wait: a killed engine's partitions and unacked events come back fast.
    options = {
      natsUrl: nats.url,
      redisUrl: redisServer.url,
      authSecret: secret,
      env: {
        PARTITION_LEASE_MS: '1500',
        ACK_WAIT_MS: '1500',
        PULSE_PARTITIONS: String(PARTITIONS),
        POINTS_PER_CURRENCY_REGULAR: String(RATE),
        TIER_VIP_POINTS: '100000000',
        TIER_ENTERPRISE_POINTS: '200000000',
        // One shop token posts every order here: far above the per-user and per-IP limits' defaults.
        USER_CALLS_PER_SECOND: '100000',
        USER_CALL_BURST: '100000',
        IP_REQUESTS_PER_SECOND: '100000',
        IP_REQUEST_BURST: '100000',
      },
    };
    [engine, gateway] = await Promise.all([spawnPulse('engine', options), spawnPulse('gateway', options)]);
    shop = await new TokenService(secret).sign({ sub: 'shop-1', role: 'shop' }, 3600);
    for (let i = 0; i < MEMBERS; i++) members.push(await register(`once${i}`));
  }, 60_000);

  afterAll(async () => {
    for (const member of members) member.socket.close();
    redis?.disconnect();
    await Promise.all([gateway?.stop(), engine?.stop()]);
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('credits every acked order once: repeats, an engine SIGKILL mid-burst, retries of refused posts, resends and late copies', async () => {
    /** memberId -> orderId -> the acked order (each once, however often it was sent). */
    const expected = new Map<string, Map<string, ShopOrder>>(members.map((m) => [m.memberId, new Map()]));
    const pointsOf = (o: ShopOrder) => Math.round(o.lines.reduce((total, line) => total + line.quantity * line.price, 0) * RATE);
    let serial = 0;
    const order = (member: Member, phase: string): ShopOrder => {
      const n = serial++;
      const item = items[n % items.length]!;
      return {
        orderId: `ord-${phase}-${n}`,
        userId: member.memberId,
        status: 'paid',
        lines: [{ itemId: item.itemId, quantity: 1 + (n % 3), price: item.price }],
      };
    };
    const post = (o: ShopOrder) =>
      http<{ accepted?: boolean; duplicate?: boolean }>(gateway.baseUrl, 'POST', '/v1/orders', { token: shop, body: o });
    /** Posts until the gateway says 202; a refusal while the engine is down (503, 504) is retried with the same body. */
    const sendUntilAcked = async (member: Member, o: ShopOrder) => {
      for (;;) {
        const res = await post(o);
        if (res.status === 202) {
          expected.get(member.memberId)!.set(o.orderId, o);
          return;
        }
        expect([503, 504]).toContain(res.status);
        await sleep(100);
      }
    };

    // The same order three times: one order.
    await Promise.all(
      members.map(async (member) => {
        const thrice = order(member, 'thrice');
        await sendUntilAcked(member, thrice);
        expect((await post(thrice)).body).toMatchObject({ accepted: true, duplicate: true });
        expect((await post(thrice)).body).toMatchObject({ accepted: true, duplicate: true });
      }),
    );
    await waitFor('the first orders applied', async () => (await appliedTotal()) === MEMBERS, { ...waiting, timeoutMs: 20_000 });

    // A burst of 60 orders per member; the engine is SIGKILLed in the middle of it and started
    // again: posts refused meanwhile are retried with the same body, and count once.
    let ackedInBurst = 0;
    const burst = Promise.all(
      members.map(async (member) => {
        for (let i = 0; i < 60; i++) {
          await sendUntilAcked(member, order(member, 'burst'));
          ackedInBurst++;
        }
      }),
    );
    await waitFor('a fifth of the burst acked', async () => ackedInBurst >= (MEMBERS * 60) / 5, { ...waiting, timeoutMs: 30_000 });
    await engine.kill();
    await sleep(500);
    engine = await spawnPulse('engine', options);
    await burst;

    // Acked orders sent again: answered as duplicates.
    for (const member of members) {
      for (const o of [...expected.get(member.memberId)!.values()].filter((_, i) => i % 7 === 0))
        expect((await post(o)).body).toMatchObject({ duplicate: true });
    }
    // Copies of acked orders straight onto EVENTS under fresh message ids (a resend past JetStream's
    // duplicate window, a replay): the order records must drop them.
    const nc = await connectNats({ servers: nats.url });
    try {
      const js = jetstream(nc);
      let copies = 0;
      for (const member of members) {
        for (const o of [...expected.get(member.memberId)!.values()].filter((_, i) => i % 10 === 0)) {
          const copy: StoredOrderEvent = {
            type: 'order',
            id: orderEventId(o.orderId, 'paid', o.lines),
            ...o,
            ts: Date.now(),
            receivedAt: Date.now(),
          };
          await js.publish(subjects.events(partitionOf(member.memberId, PARTITIONS)), JSON.stringify(copy), {
            msgID: `${eventMessageId(member.memberId, copy.id)}#late`,
          });
          copies++;
        }
      }
      expect(copies).toBeGreaterThan(MEMBERS * 5);
    } finally {
      await nc.close();
    }

    const distinctOrders = [...expected.values()].reduce((sum, orders) => sum + orders.size, 0);
    expect(distinctOrders).toBe(MEMBERS * (1 + 60));
    await waitFor('every acked order applied', async () => (await appliedTotal()) >= distinctOrders, { ...waiting, timeoutMs: 90_000 });
    // Let straggling redeliveries (ACK_WAIT_MS) land before checking that nothing counted twice.
    await sleep(3000);
    expect(await appliedTotal()).toBe(distinctOrders);

    for (const member of members) {
      const orders = expected.get(member.memberId)!;
      const sum = [...orders.values()].reduce((total, o) => total + pointsOf(o), 0);
      const me = await http<Profile>(gateway.baseUrl, 'GET', '/v1/members/me', { token: member.token });
      expect(me.body).toMatchObject({ memberId: member.memberId, tier: 'regular', points: sum, lifetimePoints: sum });
      const entries: LedgerEntry[] = [];
      for (let before: number | undefined; ; ) {
        const page = await http<{ entries: LedgerEntry[]; next?: number }>(
          gateway.baseUrl,
          'GET',
          `/v1/members/me/points?limit=50${before ? `&before=${before}` : ''}`,
          { token: member.token },
        );
        expect(page.status).toBe(200);
        entries.push(...page.body.entries);
        if (page.body.next === undefined) break;
        before = page.body.next;
      }
      // One entry per distinct order, each with that order's points, in one unbroken running balance.
      expect(entries.map((e) => e.orderId).sort()).toEqual([...orders.keys()].sort());
      for (const entry of entries) {
        const o = orders.get(entry.orderId!)!;
        expect(entry).toMatchObject({ cause: 'order', delta: pointsOf(o), eventId: orderEventId(o.orderId, 'paid', o.lines) });
      }
      const oldestFirst = [...entries].reverse();
      expect(oldestFirst.map((e) => e.entryId)).toEqual(oldestFirst.map((_, i) => i + 1));
      let balance = 0;
      for (const entry of oldestFirst) expect(entry.balance).toBe((balance += entry.delta));
      expect(balance).toBe(sum);
    }
  }, 180_000);

  it('one coupon redeemed from two sockets of its member at the same moment is used exactly once', async () => {
    const ada = await register('ada');
    const bob = await register('bob');
    const second = await connectSocket(gateway.baseUrl, ada.token);
    try {
      // At least 600 currency units at 2.5 points each buy three r5 rewards (500 points each).
      const item = items[0]!;
      const quantity = Math.ceil(600 / item.price);
      const order = {
        orderId: 'ada-o1',
        userId: ada.memberId,
        status: 'paid',
        lines: [{ itemId: item.itemId, quantity, price: item.price }],
      };
      expect((await http(gateway.baseUrl, 'POST', '/v1/orders', { token: shop, body: order })).status).toBe(202);
      const earned = Math.round(quantity * item.price * RATE);
      await waitFor(
        'the order credited',
        async () => (await http<Profile>(gateway.baseUrl, 'GET', '/v1/members/me', { token: ada.token })).body.points === earned,
        { ...waiting, timeoutMs: 20_000 },
      );
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reward = await http<{ coupon: Coupon }>(gateway.baseUrl, 'POST', '/v1/members/me/rewards', {
          token: ada.token,
          body: { rewardId: 'r5', requestId: `ada-rw-${i}` },
        });
        expect(reward.status).toBe(201);
        codes.push(reward.body.coupon.code);
      }

      type RedeemAck = { ok: true; coupon: Coupon } | { ok: false; error: WireError };
      for (const code of codes) {
        const [a, b] = await Promise.all([
          emitWithAck<RedeemAck>(ada.socket, 'redeem', { code, orderId: `${code}-a` }),
          emitWithAck<RedeemAck>(second, 'redeem', { code: code.toLowerCase(), orderId: `${code}-b` }),
        ]);
        const won = [a, b].filter((ack) => ack.ok);
        const lost = [a, b].filter((ack) => !ack.ok);
        expect(won).toHaveLength(1);
        expect(lost).toEqual([{ ok: false, error: { code: 'coupon_used', message: expect.any(String) } }]);
        expect(won[0]).toMatchObject({ ok: true, coupon: { code, memberId: ada.memberId, redeemedAt: expect.any(Number) } });
      }
      const listed = (await http<{ coupons: Coupon[] }>(gateway.baseUrl, 'GET', '/v1/members/me/coupons', { token: ada.token })).body
        .coupons;
      expect(listed.map((c) => c.code).sort()).toEqual([...codes].sort());
      for (const coupon of listed) {
        expect(coupon.redeemedAt).toBeGreaterThan(0);
        expect([`${coupon.code}-a`, `${coupon.code}-b`]).toContain(coupon.orderId);
      }
      // Used stays used; someone else's code and a visitor get the errors HTTP gives.
      expect(await emitWithAck(second, 'redeem', { code: codes[0], orderId: 'again' })).toMatchObject({
        ok: false,
        error: { code: 'coupon_used' },
      });
      expect(await emitWithAck(bob.socket, 'redeem', { code: codes[0], orderId: 'theft' })).toMatchObject({
        ok: false,
        error: { code: 'coupon_not_yours' },
      });
      const visitor = await http<{ token: string }>(gateway.baseUrl, 'POST', '/v1/visitors');
      const visitorSocket = await connectSocket(gateway.baseUrl, visitor.body.token);
      try {
        expect(await emitWithAck(visitorSocket, 'redeem', { code: codes[0], orderId: 'x' })).toMatchObject({
          ok: false,
          error: { code: 'forbidden' },
        });
      } finally {
        visitorSocket.close();
      }
    } finally {
      second.close();
      ada.socket.close();
      bob.socket.close();
    }
  }, 60_000);
});
