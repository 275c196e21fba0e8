import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEventId } from '../../engine/contracts/order-keys.js';
import type { StoredOrderEvent } from '../../engine/contracts/orders.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { partitionOf, subjects } from '../../engine/contracts/subjects.js';
import type { LedgerEntry } from '../../engine/members/member-store.js';
import { TokenService } from '../../gateway/auth.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

type Profile = { memberId: string; tier: string; points: number; lifetimePoints: number };
type Line = { itemId: string; quantity: number; price: number };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, string> } };

/** Largest-remainder split of `points` over the lines by amount, written out again (README "Members and points"). */
function expectedShares(points: number, lines: Line[]): number[] {
  const total = lines.reduce((sum, l) => sum + l.quantity * l.price, 0);
  const exact = lines.map((l) => (points * l.quantity * l.price) / total);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, f: x - Math.floor(x) })).sort((a, b) => b.f - a.f || a.i - b.i);
  for (let left = points - shares.reduce((a, b) => a + b, 0), k = 0; left > 0; left--, k++) shares[order[k]!.i]!++;
  return shares;
}

/**
 * Must-show 1 of issue 13 on real servers (`npm start`, NATS, Redis; regular rate 1 point per
 * currency unit): a member's browser purchase at a made-up price earns nothing; a shop-token
 * order earns round(total x rate); a partial return reverses that line's points; the same order
 * sent twice over HTTP, and replayed into the log across an engine kill, counts once; an order
 * priced 10x the catalog is refused with `price_mismatch`.
 */
describe('orders the shop vouches for', () => {
  const secret = 'e2e-secret-orders';
  let nats: TestServer;
  let redisServer: TestServer;
  let pulse: PulseProcess;
  let nc: NatsConnection;
  let shop: string;
  let admin: string;
  let memberToken: string;
  let memberId: string;
  let items: Item[];

  const me = async () => (await http<Profile>(pulse.baseUrl, 'GET', '/v1/members/me', { token: memberToken })).body;
  const post = (body: unknown, token = shop) =>
    http<Record<string, unknown> & ErrorBody>(pulse.baseUrl, 'POST', '/v1/orders', { token, body });
  const waiting = { timeoutMs: 15_000, output: () => pulse.output().slice(-3000) };
  const start = () =>
    spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redisServer.url,
      authSecret: secret,
      env: { PULSE_PARTITIONS: '16', PARTITION_LEASE_MS: '1500' },
    });

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    pulse = await start();
    nc = await connect({ servers: nats.url });
    const tokens = new TokenService(secret);
    shop = await tokens.sign({ sub: 'shop-1', role: 'shop' }, 3600);
    admin = await tokens.sign({ sub: 'ops', role: 'admin' }, 3600);
    const res = await http<{ memberId: string; token: string }>(pulse.baseUrl, 'POST', '/v1/members', {
      body: { email: 'ada.orders@example.com', password: 'analytical engine', name: 'Ada' },
    });
    expect(res.status).toBe(201);
    ({ memberId, token: memberToken } = res.body);
    const listed = await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=200', { token: admin });
    items = listed.body.items.filter((item) => item.minTier === undefined && item.price >= 5 && item.price <= 150);
    expect(items.length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('earns points only from shop orders, reverses returns exactly, counts repeats once and refuses mispriced orders', async () => {
    const [a, b, c] = items as [Item, Item, Item];

    // 1. The mint attempt: a member's own purchase event at a price of its choosing earns nothing.
    const mint = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', {
      token: memberToken,
      body: {
        events: [
          { id: 'mint-1', type: 'purchase', items: [{ itemId: a.itemId, quantity: 1000, price: 100 }] },
          { id: 'after-mint', type: 'view', itemId: b.itemId },
        ],
      },
    });
    expect([mint.status, mint.body.accepted]).toEqual([202, 2]);
    const profile = () =>
      http<{ activity: { eventsByType: Record<string, number> }; purchases: { orders: number; spend: number } }>(
        pulse.baseUrl,
        'GET',
        `/v1/users/${memberId}/profile`,
        { token: admin },
      );
    await waitFor('the browser events applied', async () => (await profile()).body.activity?.eventsByType?.view === 1, waiting);
    expect(await me()).toMatchObject({ points: 0, lifetimePoints: 0, tier: 'regular' });
    expect((await profile()).body.purchases).toMatchObject({ orders: 0, spend: 0 });

    // 2. A shop order earns round(total x rate): regular rate 1.
    const lines: Line[] = [
      { itemId: a.itemId, quantity: 2, price: a.price },
      { itemId: b.itemId, quantity: 1, price: Math.round(b.price * 1.03 * 100) / 100 }, // within the 5% tolerance
    ];
    const total = lines.reduce((sum, l) => sum + l.quantity * l.price, 0);
    const points = Math.round(total);
    const paid = { orderId: 'o-1001', userId: memberId, status: 'paid', lines };
    const first = await post(paid);
    expect([first.status, first.body]).toEqual([202, { orderId: 'o-1001', status: 'paid', accepted: true }]);
    await waitFor('the order credited', async () => (await me()).points === points, waiting);

    // 3. The same order again over HTTP: accepted as a duplicate, no effect (a later order proves it was applied after).
    const again = await post(paid);
    expect([again.status, again.body]).toEqual([202, { orderId: 'o-1001', status: 'paid', accepted: true, duplicate: true }]);
    const probe = (orderId: string) =>
      post({ orderId, userId: memberId, status: 'paid', lines: [{ itemId: c.itemId, quantity: 1, price: c.price }] });
    expect((await probe('probe-1')).status).toBe(202);
    let expected = points + Math.round(c.price);
    await waitFor('the probe credited', async () => (await me()).points === expected, waiting);

    // 4. A partial return reverses exactly that line's points (one of a's two units).
    const shares = expectedShares(points, lines);
    const reversed = Math.floor(shares[0]! / 2) + Math.floor((2 * (shares[0]! % 2) + 2) / 4);
    const ret = await post({
      orderId: 'o-1001',
      userId: memberId,
      status: 'returned',
      lines: [{ itemId: a.itemId, quantity: 1, price: 0 }],
    });
    expect(ret.status).toBe(202);
    expected -= reversed;
    await waitFor('the return applied', async () => (await me()).points === expected, waiting);
    const tooMany = await post({
      orderId: 'o-1001',
      userId: memberId,
      status: 'returned',
      lines: [{ itemId: a.itemId, quantity: 2, price: 0 }],
    });
    expect([tooMany.status, tooMany.body.error?.code]).toEqual([409, 'order_conflict']);

    // 5. Replay: the engine dies, the paid order lands in the log again (past the stream's
    // duplicate window, as a replay or a foreign republish would), the engine restarts: nothing moves.
    await pulse.kill();
    const replayed: StoredOrderEvent = {
      type: 'order',
      id: orderEventId('o-1001', 'paid', lines),
      userId: memberId,
      orderId: 'o-1001',
      status: 'paid',
      lines,
      ts: Date.now(),
      receivedAt: Date.now(),
    };
    await jetstream(nc).publish(subjects.events(partitionOf(memberId, 16)), JSON.stringify(replayed));
    pulse = await start();
    expect((await probe('probe-2')).status).toBe(202);
    expected += Math.round(c.price);
    await waitFor('the probe after the restart credited', async () => (await me()).points === expected, waiting);
    await sleep(300);
    expect((await me()).points).toBe(expected);
    const ledger = (await http<{ entries: LedgerEntry[] }>(pulse.baseUrl, 'GET', '/v1/members/me/points?limit=50', { token: memberToken }))
      .body.entries;
    expect(ledger.filter((e) => e.orderId === 'o-1001').map((e) => [e.cause, e.delta])).toEqual([
      ['cancellation', -reversed],
      ['order', points],
    ]);

    // 6. Priced at 10x the catalog: refused, naming the item and both prices; nothing applied.
    const greedy = await post({
      orderId: 'o-greedy',
      userId: memberId,
      status: 'paid',
      lines: [{ itemId: a.itemId, quantity: 1, price: a.price * 10 }],
    });
    expect([
      greedy.status,
      greedy.body.error.code,
      greedy.body.error.details?.itemId,
      Number(greedy.body.error.details?.catalogPrice),
    ]).toEqual([422, 'price_mismatch', a.itemId, a.price]);
    const unknown = await post({
      orderId: 'o-ghost',
      userId: memberId,
      status: 'paid',
      lines: [{ itemId: 'sku-does-not-exist', quantity: 1, price: 1 }],
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'unknown_item']);
    const neverPaid = await post({ orderId: 'o-never', userId: memberId, status: 'cancelled' });
    expect([neverPaid.status, neverPaid.body.error.code]).toEqual([409, 'order_conflict']);
    const otherLines = await post({ ...paid, lines: [lines[0]] });
    expect([otherLines.status, otherLines.body.error.code]).toEqual([409, 'order_conflict']);
    const byMember = await post(paid, memberToken);
    expect([byMember.status, byMember.body.error.code]).toEqual([403, 'forbidden']);
    const malformed = await post({
      orderId: 'o-bad',
      userId: memberId,
      status: 'paid',
      lines: [{ itemId: a.itemId, quantity: 0, price: a.price }],
    });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'invalid_request']);
    // A later cancellation reverses the rest of o-1001 exactly: what is left is the probes' points.
    expect((await post({ orderId: 'o-1001', userId: memberId, status: 'cancelled' })).status).toBe(202);
    expected = 2 * Math.round(c.price);
    await waitFor('the cancellation applied', async () => (await me()).points === expected, waiting);

    // Lifetime value and revenue come from the orders alone (the 100,000 of the mint attempt nowhere).
    const overview = await http<{ counters: { total: { revenue: number; refunds: number } } }>(
      pulse.baseUrl,
      'GET',
      '/v1/analytics/overview',
      { token: admin },
    );
    expect(overview.body.counters.total.revenue).toBeCloseTo(total + 2 * c.price, 6);
    expect(overview.body.counters.total.refunds).toBeCloseTo(total, 6);
    expect((await profile()).body.purchases.spend).toBeCloseTo(2 * c.price, 6);
  }, 60_000);
});
