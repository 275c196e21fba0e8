import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import { TokenService } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { Gateway } from '../../gateway/main.js';
import { SECRET } from './gateway-harness.js';

/** The admin dead-letter routes over the in-memory transport (the conformance suite covers the stores). */
describe('gateway admin routes: dead letters', () => {
  const logger = pino({ level: 'silent' });
  const tokens = new TokenService(SECRET);
  let transport: MemoryTransport;
  let gateway: Gateway;
  let url: string;
  const stopConsumer = new AbortController();
  const delivered: DeliveredEvent[] = [];
  /** Event ids the consumer dead-letters instead of acking. */
  const poison = new Set<string>();

  const call = async (method: string, path: string, token?: string) => {
    const res = await fetch(`${url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const start = async (withDeadLetters: boolean) => {
    const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: SECRET, PULSE_PARTITIONS: '1' });
    transport = new MemoryTransport({ partitions: 1, ackWaitMs: 5000, logger });
    gateway = new Gateway({
      config,
      logger,
      eventLog: transport.eventLog,
      rpc: transport.rpcClient,
      push: transport.pushSubscriber,
      tokens,
      readiness: async () => ({ ready: true, checks: {} }),
      ...(withDeadLetters ? { deadLetters: transport.deadLetters } : {}),
    });
    await gateway.start();
    url = `http://127.0.0.1:${gateway.port}`;
    void transport.eventLog.consume(
      0,
      async (batch) => {
        for (const d of batch) {
          delivered.push(d);
          await (poison.has(d.event.id) ? d.deadLetter({ code: 'internal', message: 'WRONGTYPE', attempts: d.deliveryCount }) : d.ack());
        }
      },
      { batchSize: 10, signal: stopConsumer.signal },
    );
  };
  const deadLetter = async (id: string) => {
    poison.add(id);
    const now = Date.now();
    const event: StoredEvent = { type: 'view', itemId: 'i-1', id, userId: 'u-1', ts: now, receivedAt: now };
    await transport.eventLog.append(event);
    await expect
      .poll(() => delivered.some((d) => d.event.id === id), { timeout: 3000, interval: 10, message: `${id} delivered` })
      .toBe(true);
    return event;
  };

  beforeEach(() => {
    delivered.length = 0;
    poison.clear();
  });
  afterEach(async () => {
    await gateway.close();
    await transport.close();
  });

  it('lists, replays and drops for admins only, in the API error shape', async () => {
    await start(true);
    const admin = await tokens.sign({ sub: 'ops', role: 'admin' }, 600);
    const first = await deadLetter('e-1');
    await deadLetter('e-2');

    expect((await call('GET', '/v1/admin/dead-letters')).body).toMatchObject({ error: { code: 'unauthorized' } });
    for (const role of ['visitor', 'member', 'marketing'] as const) {
      const token = await tokens.sign({ sub: `${role}-1`, role }, 600);
      for (const [method, path] of [
        ['GET', '/v1/admin/dead-letters'],
        ['POST', '/v1/admin/dead-letters/1/replay'],
        ['DELETE', '/v1/admin/dead-letters/1'],
      ] as const) {
        const res = await call(method, path, token);
        expect([res.status, (res.body.error as { code: string }).code]).toEqual([403, 'forbidden']);
      }
    }

    const list = await call('GET', '/v1/admin/dead-letters?limit=1', admin);
    expect(list.status).toBe(200);
    const page = list.body as { deadLetters: Array<{ id: string; event: StoredEvent; failure: unknown }>; next?: string };
    expect(page.deadLetters.map((d) => d.event.id)).toEqual(['e-2']);
    expect(page.deadLetters[0]!.failure).toEqual({ code: 'internal', message: 'WRONGTYPE', attempts: 1 });
    const older = await call('GET', `/v1/admin/dead-letters?limit=1&before=${page.next}`, admin);
    const [oldest] = (older.body as { deadLetters: Array<{ id: string; event: StoredEvent }> }).deadLetters;
    expect(oldest!.event).toEqual(first);
    for (const query of ['limit=0', 'limit=201', 'before=abc', 'colour=red']) {
      const bad = await call('GET', `/v1/admin/dead-letters?${query}`, admin);
      expect([bad.status, (bad.body.error as { code: string }).code]).toEqual([400, 'invalid_request']);
    }

    // Fixed: the replayed event comes back to the consumer, which now acks it.
    poison.delete('e-1');
    const replayed = await call('POST', `/v1/admin/dead-letters/${oldest!.id}/replay`, admin);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ id: oldest!.id, seq: expect.any(Number) });
    await expect
      .poll(() => delivered.filter((d) => d.event.id === 'e-1').length === 2, {
        timeout: 3000,
        interval: 10,
        message: 'replayed event delivered',
      })
      .toBe(true);
    expect((await call('POST', `/v1/admin/dead-letters/${oldest!.id}/replay`, admin)).body).toMatchObject({ error: { code: 'not_found' } });

    const dropped = await call('DELETE', `/v1/admin/dead-letters/${page.deadLetters[0]!.id}`, admin);
    expect(dropped).toEqual({ status: 200, body: { deleted: true } });
    const gone = await call('DELETE', `/v1/admin/dead-letters/${page.deadLetters[0]!.id}`, admin);
    expect([gone.status, (gone.body.error as { code: string }).code]).toEqual([404, 'not_found']);
    expect((await call('GET', '/v1/admin/dead-letters', admin)).body).toEqual({ deadLetters: [] });
  });

  it('answers unavailable when the gateway has no dead-letter store', async () => {
    await start(false);
    const admin = await tokens.sign({ sub: 'ops', role: 'admin' }, 600);
    const res = await call('GET', '/v1/admin/dead-letters', admin);
    expect([res.status, (res.body.error as { code: string }).code]).toEqual([503, 'unavailable']);
  });
});
