import { afterAll, beforeAll } from 'vitest';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RpcMethods } from '../../engine/contracts/messages.js';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import type { EventLogWriter } from '../../engine/stream/event-log.js';
import { startHarness, type Harness } from '../unit/gateway-harness.js';

/**
 * The gateway HTTP API's tests (gateway-http, gateway-http-catalog, gateway-http-operations): a
 * gateway harness with a 4 KB body limit, an event log that fails for items `boom` and
 * `boom-pulse`, and RPC answers for recommendations, similar items and the catalog that record
 * their requests in `calls`.
 */

export const shoes: Item = { itemId: 'shoe-1', title: 'Trail shoe', category: 'shoes', brand: 'Acme', price: 89.5 };

/** Fails appends of events about item `boom` (a log outage for just those). */
function flakyLog(inner: EventLogWriter): EventLogWriter {
  return {
    append: async (event) => {
      if ('itemId' in event && event.itemId === 'boom') throw new Error('nats: connection lost');
      if ('itemId' in event && event.itemId === 'boom-pulse') throw new PulseError(ErrorCodes.unavailable, 'stream unavailable');
      return inner.append(event);
    },
  };
}

/** The RPC requests the harness has answered, by method. */
export interface GatewayHttpCalls {
  recommend: RpcMethods['recommend']['request'][];
  upsert: Item[][];
  list: RpcMethods['catalog.list']['request'][];
  similar: RpcMethods['similar']['request'][];
}

/**
 * Starts the harness before the file's tests and closes it after them; `onHarness` receives it.
 * `/readyz` reports ready while `isReady()` says so.
 */
export function useGatewayHttpApi(onHarness: (harness: Harness) => void, isReady: () => boolean = () => true): { calls: GatewayHttpCalls } {
  let h: Harness;
  const calls: GatewayHttpCalls = {
    recommend: [],
    upsert: [],
    list: [],
    similar: [],
  };
  const list = (modelVersion: string): RecommendationList => ({
    items: [{ itemId: 'shoe-1', score: 0.9, reason: 'popular' }],
    generatedAt: Date.now(),
    modelVersion,
  });

  beforeAll(async () => {
    h = await startHarness({
      env: { MAX_BODY_BYTES: '4096' },
      wrapEventLog: flakyLog,
      readiness: async () => {
        const ready = isReady();
        return { ready, checks: { nats: { ok: ready, detail: ready ? 'connected' : 'down' } } };
      },
    });
    onHarness(h);
    const rpc = h.transport.rpcServer;
    rpc.serve('recommend', async (request) => {
      calls.recommend.push(request);
      return list('test-1');
    });
    rpc.serve('similar', async (request) => {
      calls.similar.push(request);
      return list('test-1');
    });
    rpc.serve('catalog.get', async ({ itemId }) => {
      if (itemId !== shoes.itemId) throw new PulseError(ErrorCodes.notFound, `no item "${itemId}"`);
      return shoes;
    });
    rpc.serve('catalog.list', async (request) => {
      calls.list.push(request);
      return { items: [shoes], total: 1, categories: ['shoes'] };
    });
    rpc.serve('catalog.upsert', async ({ items }) => {
      calls.upsert.push(items);
      return { upserted: items.length };
    });
    rpc.serve('catalog.delete', async ({ itemId }) => ({ deleted: itemId === shoes.itemId }));
  });
  afterAll(() => h.close());
  return { calls };
}
