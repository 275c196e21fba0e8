/**
 * Request deadlines over a real nats-server: the gateway's client sends its deadline in a header,
 * and the engine's server drops a request whose deadline passed before it started.
 */
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEADLINE_HEADER, NatsRpcClient, NatsRpcServer, TIMEOUT_HEADER } from '../../engine/platform/adapters/nats-rpc.js';
import type { PulseError } from '../../engine/contracts/errors.js';
import { subjects } from '../../engine/contracts/subjects.js';
import { startNats, type TestServer } from '../helpers/servers.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rpc deadlines over NATS', () => {
  let server: TestServer;
  let engineConnection: NatsConnection;
  let gatewayConnection: NatsConnection;

  beforeAll(async () => {
    server = await startNats();
    engineConnection = await connect({ servers: server.url });
    gatewayConnection = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await Promise.allSettled([engineConnection?.close(), gatewayConnection?.close()]);
    await server?.stop();
  });

  it('does not handle a request whose deadline passed while it waited for a slot', async () => {
    const expired: string[] = [];
    const rpc = new NatsRpcServer(engineConnection, logger, { concurrency: 1, onExpired: (method) => expired.push(method) });
    const handled: string[] = [];
    rpc.serve('catalog.delete', async ({ itemId }) => {
      handled.push(itemId);
      if (itemId === 'slow') await sleep(400);
      return { deleted: true };
    });
    await engineConnection.flush();
    const client = new NatsRpcClient(gatewayConnection);

    const slow = client.call('catalog.delete', { itemId: 'slow' }, 2000);
    await sleep(50);
    const late = await client.call('catalog.delete', { itemId: 'late' }, 100).catch((err: unknown) => err);
    expect((late as PulseError).code).toBe('timeout');
    await expect(slow).resolves.toEqual({ deleted: true });
    await expect(client.call('catalog.delete', { itemId: 'after' }, 2000)).resolves.toEqual({ deleted: true });
    expect(handled).toEqual(['slow', 'after']);
    expect(expired).toEqual(['catalog.delete']);
    await rpc.close();
  });

  it('drops, unanswered, a request that arrives already past its deadline', async () => {
    const expired: string[] = [];
    const rpc = new NatsRpcServer(engineConnection, logger, { onExpired: (method) => expired.push(method) });
    const handled: string[] = [];
    rpc.serve('catalog.delete', async ({ itemId }) => {
      handled.push(itemId);
      return { deleted: true };
    });
    await engineConnection.flush();
    const hdrs = headers();
    hdrs.set(DEADLINE_HEADER, String(Date.now() - 10));
    hdrs.set(TIMEOUT_HEADER, '1');
    const reply = await gatewayConnection
      .request(subjects.rpc('catalog.delete'), JSON.stringify({ itemId: 'gone' }), { timeout: 300, headers: hdrs })
      .catch((err: unknown) => err);
    expect(reply).toBeInstanceOf(Error); // no reply: the request timed out
    expect(handled).toEqual([]);
    expect(expired).toEqual(['catalog.delete']);
    await rpc.close();
  });
});
