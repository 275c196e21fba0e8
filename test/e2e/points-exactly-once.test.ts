import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireError } from '../../engine/contracts/errors.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { eventMessageId, partitionOf, subjects } from '../../engine/contracts/subjects.js';
import { generateDemoCatalog } from '../../engine/demo/demo-catalog.js';
import type { Coupon } from '../../engine/ports/coupon-store.js';
import type { LedgerEntry } from '../../engine/ports/member-store.js';
import { connectSocket, emitWithAck, http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

/** Points per currency unit of a regular member here; the tier thresholds are out of reach, so every order earns at this rate. */
const RATE = 2.5;
const PARTITIONS = 8;
const MEMBERS = 12;

type Purchase = { id: string; type: 'purchase'; orderId: string; ts: number; items: Array<{ itemId: string; quantity: number; price: number }> };
type Member = { memberId: string; token: string; socket: Socket };
type Profile = { memberId: string; tier: string; points: number; lifetimePoints: number };

/**
 * Must-show 2, end to end (nats-server, redis-server, a spawned engine and gateway): each purchase
 * credits its member once, though ids arrive twice over sockets and HTTP, the engine is SIGKILLed
 * mid-burst, purchases keep coming while it is down, and acked ones are sent again (through the
 * gateway, and as copies straight onto EVENTS such as arrive after JetStream's duplicate window);
 * and one coupon redeemed from two sockets at the same moment is used exactly once.
 */
describe('points and coupons exactly once, across an engine SIGKILL', () => {
  const secret = 'e2e-secret-points-once';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let gateway: PulseProcess;
  let engine: PulseProcess;
  let options: SpawnPulseOptions;
  const members: Member[] = [];
  const items = generateDemoCatalog().filter((item) => !item.minTier || item.minTier === 'regular');

  const register = async (name: string): Promise<Member> => {
    const res = await http<{ memberId: string; token: string }>(gateway.baseUrl, 'POST', '/v1/members', {
      body: { email: `${name}.${Date.now().toString(36)}@example.com`, password: 'points once please', name },
    });
    expect(res.status).toBe(201);
    return { ...res.body, socket: await connectSocket(gateway.baseUrl, res.body.token) };
  };
  const ledgerLength = (memberId: string) => redis.llen(`m:{${memberId}}:ledger`);
  const appliedTotal = async () => (await Promise.all(members.map((m) => ledgerLength(m.memberId)))).reduce((a, b) => a + b, 0);
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${engine.output().slice(-3000)}`);
      await sleep(200);
    }
  };

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
      },
    };
    [engine, gateway] = await Promise.all([spawnPulse('engine', options), spawnPulse('gateway', options)]);
    members.push(...(await Promise.all(Array.from({ length: MEMBERS }, (_, i) => register(`once${i}`)))));
  }, 60_000);

  afterAll(async () => {
    for (const member of members) member.socket.close();
    redis?.disconnect();
    await Promise.all([gateway?.stop(), engine?.stop()]);
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('credits every acked purchase once: duplicates, SIGKILL mid-burst, sends while down, resends and late copies', async () => {
    /** memberId -> orderId -> the acked purchase (each order once, however often it was sent). */
    const expected = new Map<string, Map<string, Purchase>>(members.map((m) => [m.memberId, new Map()]));
    const pointsOf = (p: Purchase) => Math.round(p.items.reduce((total, line) => total + line.quantity * line.price, 0) * RATE);
    let serial = 0;
    const purchase = (member: Member, phase: string): Purchase => {
      const n = serial++;
      const quantity = 1 + (n % 3);
      const price = 2 * (1 + (n % 7));
      return { id: `pur-${phase}-${n}`, type: 'purchase', orderId: `ord-${phase}-${n}`, ts: Date.now(), items: [{ itemId: items[n % items.length]!.itemId, quantity, price }] };
    };
    const acked = (member: Member, p: Purchase) => expected.get(member.memberId)!.set(p.orderId, p);
    const viaHttp = async (member: Member, batch: Purchase[], record = true) => {
      const res = await http<{ accepted: number; rejected: unknown[] }>(gateway.baseUrl, 'POST', '/v1/events', { token: member.token, body: { events: batch } });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: batch.length, rejected: [] });
      if (record) for (const p of batch) acked(member, p);
    };
    const viaSocket = async (member: Member, batch: Purchase[], record = true) => {
      const acks = await Promise.all(batch.map((p) => emitWithAck<{ ok: boolean; id: string }>(member.socket, 'track', p, 10_000)));
      expect(acks).toEqual(batch.map((p) => ({ ok: true, id: p.id })));
      if (record) for (const p of batch) acked(member, p);
    };
    const socketSent = new Map<string, Purchase[]>(members.map((m) => [m.memberId, []]));
    const httpSent = new Map<string, Purchase[]>(members.map((m) => [m.memberId, []]));

    // The same id twice over the socket and once more over HTTP: one order.
    await Promise.all(
      members.map(async (member) => {
        const twice = purchase(member, 'twice');
        await viaSocket(member, [twice]);
        await viaSocket(member, [twice]);
        await viaHttp(member, [twice]);
      }),
    );
    await until('the first purchases applied', async () => (await appliedTotal()) === MEMBERS, 20_000);

    // A burst of 1,800 purchases over HTTP and sockets at once builds a backlog; the engine dies in it.
    const burst = members.flatMap((member) => {
      const overHttp = Array.from({ length: 120 }, () => purchase(member, 'burst'));
      const overSocket = Array.from({ length: 30 }, () => purchase(member, 'burst'));
      httpSent.get(member.memberId)!.push(...overHttp);
      socketSent.get(member.memberId)!.push(...overSocket);
      return [viaHttp(member, overHttp), viaSocket(member, overSocket)];
    });
    await Promise.all(burst);
    await engine.kill();
    const sentBeforeKill = MEMBERS * 151;
    const appliedAtKill = await appliedTotal();
    // Mid-stream: some of the burst was applied, not all of it.
    expect(appliedAtKill).toBeGreaterThan(MEMBERS);
    expect(appliedAtKill).toBeLessThan(sentBeforeKill);

    // Purchases keep coming while no engine runs (JetStream holds every acked one).
    await Promise.all(
      members.map(async (member) => {
        await viaHttp(member, Array.from({ length: 20 }, () => purchase(member, 'down')));
        const overSocket = Array.from({ length: 10 }, () => purchase(member, 'down'));
        socketSent.get(member.memberId)!.push(...overSocket);
        await viaSocket(member, overSocket);
      }),
    );
    engine = await spawnPulse('engine', options);

    // Clients retrying already-acked purchases, over HTTP and over sockets.
    await Promise.all(
      members.map(async (member) => {
        await viaHttp(member, httpSent.get(member.memberId)!.filter((_, i) => i % 4 === 0), false);
        await viaSocket(member, socketSent.get(member.memberId)!.filter((_, i) => i % 5 === 0), false);
      }),
    );
    // JetStream drops those resends within its 2-minute duplicate window; copies published under
    // fresh message ids (as a resend after the window arrives) reach the engine, whose markers must drop them.
    const nc = await connectNats({ servers: nats.url });
    try {
      const js = jetstream(nc);
      let copies = 0;
      for (const member of members) {
        for (const p of [...expected.get(member.memberId)!.values()].filter((_, i) => i % 10 === 0)) {
          const copy: StoredEvent = { ...p, userId: member.memberId, receivedAt: Date.now() };
          await js.publish(subjects.events(partitionOf(member.memberId, PARTITIONS)), JSON.stringify(copy), { msgID: `${eventMessageId(member.memberId, p.id)}#late` });
          copies++;
        }
      }
      expect(copies).toBeGreaterThan(MEMBERS * 15);
    } finally {
      await nc.close();
    }

    const distinctOrders = [...expected.values()].reduce((sum, orders) => sum + orders.size, 0);
    expect(distinctOrders).toBe(MEMBERS * (1 + 150 + 30));
    await until('every acked purchase applied', async () => (await appliedTotal()) >= distinctOrders, 90_000);
    // Let straggling redeliveries (ACK_WAIT_MS) land before checking that nothing counted twice.
    await sleep(3000);
    expect(await appliedTotal()).toBe(distinctOrders);

    for (const member of members) {
      const orders = expected.get(member.memberId)!;
      const sum = [...orders.values()].reduce((total, p) => total + pointsOf(p), 0);
      const me = await http<Profile>(gateway.baseUrl, 'GET', '/v1/members/me', { token: member.token });
      expect(me.body).toMatchObject({ memberId: member.memberId, tier: 'regular', points: sum, lifetimePoints: sum });
      const entries: LedgerEntry[] = [];
      for (let before: number | undefined; ; ) {
        const page = await http<{ entries: LedgerEntry[]; next?: number }>(gateway.baseUrl, 'GET', `/v1/members/me/points?limit=50${before ? `&before=${before}` : ''}`, { token: member.token });
        expect(page.status).toBe(200);
        entries.push(...page.body.entries);
        if (page.body.next === undefined) break;
        before = page.body.next;
      }
      // One entry per distinct order, each with that order's points, in one unbroken running balance.
      expect(entries.map((e) => e.orderId).sort()).toEqual([...orders.keys()].sort());
      for (const entry of entries) {
        const p = orders.get(entry.orderId!)!;
        expect(entry).toMatchObject({ cause: 'order', delta: pointsOf(p), eventId: p.id });
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
      // 600 units at 2.5 points each buy three r5 rewards (500 points each).
      const order = { id: 'ada-big', type: 'purchase', orderId: 'ada-o1', items: [{ itemId: items[0]!.itemId, quantity: 1, price: 600 }] };
      expect(await emitWithAck(ada.socket, 'track', order)).toEqual({ ok: true, id: 'ada-big' });
      await until('the purchase credited', async () => (await http<Profile>(gateway.baseUrl, 'GET', '/v1/members/me', { token: ada.token })).body.points === 1500, 20_000);
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reward = await http<{ coupon: Coupon }>(gateway.baseUrl, 'POST', '/v1/members/me/rewards', { token: ada.token, body: { rewardId: 'r5', requestId: `ada-rw-${i}` } });
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
      const listed = (await http<{ coupons: Coupon[] }>(gateway.baseUrl, 'GET', '/v1/members/me/coupons', { token: ada.token })).body.coupons;
      expect(listed.map((c) => c.code).sort()).toEqual([...codes].sort());
      for (const coupon of listed) {
        expect(coupon.redeemedAt).toBeGreaterThan(0);
        expect([`${coupon.code}-a`, `${coupon.code}-b`]).toContain(coupon.orderId);
      }
      // Used stays used; someone else's code and a visitor get the errors HTTP gives.
      expect(await emitWithAck(second, 'redeem', { code: codes[0], orderId: 'again' })).toMatchObject({ ok: false, error: { code: 'coupon_used' } });
      expect(await emitWithAck(bob.socket, 'redeem', { code: codes[0], orderId: 'theft' })).toMatchObject({ ok: false, error: { code: 'coupon_not_yours' } });
      const visitor = await http<{ token: string }>(gateway.baseUrl, 'POST', '/v1/visitors');
      const visitorSocket = await connectSocket(gateway.baseUrl, visitor.body.token);
      try {
        expect(await emitWithAck(visitorSocket, 'redeem', { code: codes[0], orderId: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
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
