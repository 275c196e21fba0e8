import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatSummary, runImport } from '../../scripts/import.js';
import { ImportAbortedError } from '../../scripts/lib/import-client.js';
import { OrderImportClient } from '../../scripts/lib/order-import.js';

const TOKEN = 'order-import-token';
type Order = { orderId: string; userId: string; status: string; lines: unknown[]; ts?: number };
type Reply = { status: number; body: unknown; headers?: Record<string, string> } | 'network';

/**
 * A stand-in for `POST /v1/orders` as a fetch function: idempotent by orderId + status + lines
 * (duplicate: true), refusals and transient failures on demand, a random delay so requests of
 * different lanes overtake each other.
 */
class FakeOrders {
  readonly placed = new Map<string, Order>();
  /** orderId + status in the order the server took them (first time only). */
  readonly arrival: Order[] = [];
  /** Per `orderId/status`: replies to give before handling it for real. */
  readonly script = new Map<string, Reply[]>();
  requests = 0;
  /** Lose the answer (after storing) of these `orderId/status`, once. */
  readonly loseAnswer = new Set<string>();

  readonly fetch: typeof fetch = async (_url, init) => {
    this.requests += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    const headers = new Headers(init?.headers);
    const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...extra } });
    if (headers.get('authorization') !== `Bearer ${TOKEN}`) return json(401, { error: { code: 'unauthorized', message: 'invalid token' } });
    const order = JSON.parse(String(init?.body)) as Order;
    const key = `${order.orderId}/${order.status}`;
    const next = this.script.get(key)?.shift();
    if (next === 'network') throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
    if (next) return json(next.status, next.body, next.headers);
    if (order.lines.some((l) => (l as { price: number }).price > 1000))
      return json(422, { error: { code: 'price_mismatch', message: 'too dear' } });
    const id = `${key}/${JSON.stringify(order.lines)}`;
    const duplicate = this.placed.has(id);
    if (!duplicate) {
      this.placed.set(id, order);
      this.arrival.push(order);
    }
    if (this.loseAnswer.delete(key)) throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    return json(202, { orderId: order.orderId, status: order.status, accepted: true, ...(duplicate ? { duplicate: true } : {}) });
  };
}

describe('npm run import -- --orders', () => {
  let dir: string;
  let server: FakeOrders;
  const quiet = () => new PassThrough().resume();
  const client = (options: Partial<ConstructorParameters<typeof OrderImportClient>[0]> = {}) =>
    new OrderImportClient({ url: 'http://pulse.test', token: TOKEN, fetch: server.fetch, sleep: async () => undefined, ...options });
  const file = async (orders: unknown[]) => {
    const path = join(dir, 'orders.jsonl');
    await writeFile(path, `${orders.map((o) => JSON.stringify(o)).join('\n')}\n`);
    return path;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-orders-'));
    server = new FakeOrders();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps each member's orders in file order over many lanes, and a re-run places nothing twice", async () => {
    const orders: Order[] = [];
    for (let i = 0; i < 200; i++)
      orders.push({
        orderId: `o${i}`,
        userId: `u${i % 7}`,
        status: i % 5 === 4 ? 'returned' : 'paid',
        lines: [{ itemId: 'a', quantity: 1, price: 1 }],
        ts: 1000 + i,
      });
    const path = await file(orders);
    const first = await runImport({ path, kind: 'orders', client: client(), batchSize: 3, concurrency: 5, progressStream: quiet() });
    expect(first).toMatchObject({ lines: 200, accepted: 200, existing: 0 });
    expect(first.rejects.total).toBe(0);
    for (let u = 0; u < 7; u++) {
      const mine = (list: Order[]) => list.filter((o) => o.userId === `u${u}`).map((o) => `${o.orderId}/${o.status}`);
      expect(mine(server.arrival)).toEqual(mine(orders));
    }
    const again = await runImport({ path, kind: 'orders', client: client(), batchSize: 3, concurrency: 5, progressStream: quiet() });
    expect(again).toMatchObject({ lines: 200, accepted: 200, existing: 200 });
    expect(server.arrival).toHaveLength(200);
    expect(formatSummary(again)).toContain('accepted  200  (200 placed before, counted once)');
  });

  it('retries 429 after Retry-After, 503 and lost answers; rejects refused lines with their code and goes on', async () => {
    const slept: number[] = [];
    server.script.set('o1/paid', [
      { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'retry-after': '2' } },
    ]);
    server.script.set('o2/returned', [
      { status: 503, body: { error: { code: 'unavailable', message: 'its paid status is still being applied' } } },
      'network',
    ]);
    server.script.set('o3/paid', [{ status: 409, body: { error: { code: 'order_conflict', message: 'other lines' } } }]);
    server.loseAnswer.add('o4/paid');
    const path = await file([
      { orderId: 'o1', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 1 }] },
      { orderId: 'o2', userId: 'u', status: 'returned', lines: [{ itemId: 'a', quantity: 1, price: 1 }] },
      { orderId: 'o3', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 1 }] },
      { orderId: 'o4', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 1 }] },
      { orderId: 'o5', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 5000 }] },
      'not an object',
    ]);
    const summary = await runImport({
      path,
      kind: 'orders',
      client: client({ sleep: async (ms) => void slept.push(ms) }),
      batchSize: 10,
      concurrency: 2,
      progressStream: quiet(),
    });
    // o4 was placed by the attempt whose answer was lost: the duplicate of the retry is ours, not an earlier run's.
    expect(summary).toMatchObject({ lines: 6, accepted: 3, existing: 0 });
    expect(summary.rejects.top(10).map((g) => [g.code, g.firstLines])).toEqual([
      ['invalid_json', [6]],
      ['order_conflict', [3]],
      ['price_mismatch', [5]],
    ]);
    expect(slept[0]).toBe(2000);
    expect(slept).toHaveLength(4);
    expect(server.arrival.map((o) => o.orderId)).toEqual(['o1', 'o2', 'o4']);
  });

  it('stops on a refused token, a server without the route, or a failure that does not pass', async () => {
    const path = await file([{ orderId: 'o1', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 1 }] }]);
    const bad = new OrderImportClient({ url: 'http://pulse.test', token: 'wrong', fetch: server.fetch, sleep: async () => undefined });
    expect((await runImport({ path, kind: 'orders', client: bad, batchSize: 1, concurrency: 1, progressStream: quiet() })).aborted).toMatch(
      /refused the token \(401 unauthorized/,
    );

    const noRoute: typeof fetch = async () =>
      new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route POST /v1/orders' } }), { status: 404 });
    await expect(client({ fetch: noRoute }).send([{ line: 1, value: {} }])).rejects.toThrow(
      /is --url a Pulse gateway with POST \/v1\/orders/,
    );

    server.script.set(
      'o1/paid',
      Array.from({ length: 5 }, () => ({ status: 503, body: { error: { code: 'unavailable', message: 'down' } } })),
    );
    await expect(
      client({ attempts: 5 }).send([{ line: 1, value: { orderId: 'o1', userId: 'u', status: 'paid', lines: [] } }]),
    ).rejects.toThrow(ImportAbortedError);
    expect(server.arrival).toHaveLength(0);
  });
});
