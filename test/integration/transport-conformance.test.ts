import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../engine/adapters/memory/memory-transport.js';
import { NatsTransport } from '../../engine/adapters/nats-transport.js';
import { PulseError } from '../../engine/contracts/errors.js';
import type { CatalogChange, PushMessage } from '../../engine/contracts/messages.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { CATALOG_STREAM, EVENTS_STREAM, partitionOf } from '../../engine/contracts/subjects.js';
import type { CatalogLog } from '../../engine/ports/catalog-log.js';
import type { DeliveredEvent, EventLogWriter, EventSource } from '../../engine/ports/event-log.js';
import type { Notifier, PushSubscriber } from '../../engine/ports/notifier.js';
import type { RpcClient, RpcServer } from '../../engine/ports/rpc.js';
import { startNats, type TestServer } from '../helpers/servers.js';

/** What both transports offer; the suite sees nothing else. */
interface Transport {
  readonly eventLog: EventLogWriter & EventSource;
  readonly catalogLog: CatalogLog;
  readonly notifier: Notifier;
  readonly pushSubscriber: PushSubscriber;
  readonly rpcServer: RpcServer;
  readonly rpcClient: RpcClient;
  isConnected(): boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface TransportHarness {
  /** Fresh, empty streams for one test. */
  reset(options: { partitions: number; ackWaitMs: number }): Promise<void>;
  /** One process' transport: NATS a new connection, memory the one shared bus. */
  open(): Promise<Transport>;
  /** The process dies: NATS cuts its connection, memory keeps the shared bus. */
  crash(transport: Transport): Promise<void>;
  /** Publishes raw bytes to `events.<partition>`, as a foreign or broken publisher could. */
  publishRaw(partition: number, data: string): Promise<void>;
  /** Closes what the test opened. */
  cleanup(): Promise<void>;
  stop(): Promise<void>;
}

const logLines: string[] = [];
const logger: Logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  }),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

function usersIn(partition: number, partitions: number, count: number, prefix = 'u'): string[] {
  const users: string[] = [];
  for (let i = 0; users.length < count; i++) if (partitionOf(`${prefix}${i}`, partitions) === partition) users.push(`${prefix}${i}`);
  return users;
}

function viewEvent(userId: string, id: string, itemId = 'item-1'): StoredEvent {
  const now = Date.now();
  return { type: 'view', id, userId, itemId, ts: now, receivedAt: now };
}

function item(itemId: string, title = `Item ${itemId}`): Item {
  return { itemId, title, category: 'shoes', price: 10 };
}

/** Runs consume() in the background and records what arrives. `ack` decides per delivery. */
function startConsumer(t: Transport, partition: number, options: { batchSize?: number; ack?: (d: DeliveredEvent) => boolean; onBatch?: () => Promise<void> } = {}) {
  const controller = new AbortController();
  const received: DeliveredEvent[] = [];
  const batchSizes: number[] = [];
  const done = t.eventLog.consume(
    partition,
    async (batch) => {
      batchSizes.push(batch.length);
      received.push(...batch);
      await options.onBatch?.();
      for (const delivered of batch) if (options.ack?.(delivered) ?? true) await delivered.ack();
    },
    { batchSize: options.batchSize ?? 16, signal: controller.signal },
  );
  const ids = () => received.map((d) => d.event.id);
  return { controller, received, batchSizes, done, ids, stop: async () => (controller.abort(), done) };
}

function describeTransport(name: string, makeHarness: () => Promise<TransportHarness>): void {
  describe(`transport conformance: ${name}`, () => {
    let harness: TransportHarness;
    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterAll(async () => harness?.stop());
    beforeEach(async () => {
      logLines.length = 0;
      await harness.reset({ partitions: 2, ackWaitMs: 500 });
    });
    afterEach(async () => harness.cleanup());

    describe('event log', () => {
      it('delivers a partition in append order, in batches of at most batchSize, and only that partition', async () => {
        const t = await harness.open();
        const mine = usersIn(0, 2, 3);
        const other = usersIn(1, 2, 1)[0]!;
        const appended: StoredEvent[] = [];
        for (let i = 0; i < 30; i++) {
          const event = viewEvent(mine[i % 3]!, `e${i}`, `item-${i}`);
          appended.push(event);
          await t.eventLog.append(event);
          if (i % 10 === 0) await t.eventLog.append(viewEvent(other, `o${i}`));
        }
        const consumer = startConsumer(t, 0, { batchSize: 4 });
        await waitUntil('30 events', () => consumer.received.length >= 30);
        await sleep(50);
        expect(consumer.ids()).toEqual(appended.map((e) => e.id));
        expect(consumer.received.map((d) => d.event)).toEqual(appended);
        const seqs = consumer.received.map((d) => d.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(30);
        expect(Math.max(...consumer.batchSizes)).toBeLessThanOrEqual(4);
        expect(consumer.received.every((d) => d.partition === 0 && !d.redelivered)).toBe(true);
        await consumer.stop();
      });

      it('drops a repeated (userId, id) as a duplicate and delivers it once; ids are scoped per user', async () => {
        const t = await harness.open();
        const [alice, bob] = usersIn(0, 2, 2);
        const first = await t.eventLog.append(viewEvent(alice!, 'same'));
        const again = await t.eventLog.append(viewEvent(alice!, 'same'));
        const otherUser = await t.eventLog.append(viewEvent(bob!, 'same'));
        expect(first.duplicate).toBe(false);
        expect(again).toEqual({ seq: first.seq, duplicate: true });
        expect(otherUser.duplicate).toBe(false);
        await t.eventLog.append(viewEvent(alice!, 'marker'));
        const consumer = startConsumer(t, 0);
        await waitUntil('marker', () => consumer.ids().includes('marker'));
        await sleep(50);
        expect(consumer.received.map((d) => `${d.event.userId}/${d.event.id}`)).toEqual([`${alice}/same`, `${bob}/same`, `${alice}/marker`]);
        await consumer.stop();
      });

      it('takes many appends in flight at once', async () => {
        const t = await harness.open();
        const events = Array.from({ length: 300 }, (_, i) => viewEvent(`user-${i % 37}`, `c${i}`));
        const results = await Promise.all(events.map((e) => t.eventLog.append(e)));
        expect(new Set(results.map((r) => r.seq)).size).toBe(300);
        expect(results.some((r) => r.duplicate)).toBe(false);
        const consumers = [startConsumer(t, 0, { batchSize: 64 }), startConsumer(t, 1, { batchSize: 64 })];
        await waitUntil('300 events', () => consumers[0]!.received.length + consumers[1]!.received.length >= 300);
        for (const consumer of consumers) {
          for (const d of consumer.received) expect(partitionOf(d.event.userId, 2)).toBe(d.partition);
          await consumer.stop();
        }
      });

      it('hands an event to an idle consumer within milliseconds', async () => {
        const t = await harness.open();
        const [user] = usersIn(1, 2, 1);
        const consumer = startConsumer(t, 1);
        await sleep(300); // idle: the consumer waits on an empty partition
        const latencies: number[] = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          await t.eventLog.append(viewEvent(user!, `fast${i}`));
          await waitUntil('delivery', () => consumer.received.length > i, 2000);
          latencies.push(performance.now() - started);
        }
        latencies.sort((a, b) => a - b);
        expect(latencies[2]).toBeLessThan(50);
        await consumer.stop();
      });

      it('redelivers what a dead consumer left unacked to the next one, after the ack wait', async () => {
        const first = await harness.open();
        const [user] = usersIn(0, 2, 1);
        const consumer = startConsumer(first, 0, { ack: (d) => d.event.id !== 'unacked' });
        await first.eventLog.append(viewEvent(user!, 'acked'));
        await first.eventLog.append(viewEvent(user!, 'unacked'));
        await waitUntil('both', () => consumer.received.length >= 2);
        const abortedAt = Date.now();
        await consumer.stop();
        expect(Date.now() - abortedAt).toBeLessThan(1000);
        await harness.crash(first);

        const second = await harness.open();
        const successor = startConsumer(second, 0);
        await second.eventLog.append(viewEvent(user!, 'new'));
        await waitUntil('redelivery and new event', () => successor.ids().includes('unacked') && successor.ids().includes('new'), 5000);
        await sleep(700); // past another ack wait: acked ones never come back
        expect(successor.ids().sort()).toEqual(['new', 'unacked']);
        expect(successor.received.find((d) => d.event.id === 'unacked')!.redelivered).toBe(true);
        expect(successor.received.find((d) => d.event.id === 'new')!.redelivered).toBe(false);
        await successor.stop();
      });

      it('redelivers a nak()ed event at once, before the ack wait', async () => {
        await harness.reset({ partitions: 2, ackWaitMs: 10_000 });
        const t = await harness.open();
        const [user] = usersIn(0, 2, 1);
        let naked = false;
        const controller = new AbortController();
        const seen: DeliveredEvent[] = [];
        const done = t.eventLog.consume(
          0,
          async (batch) => {
            for (const d of batch) {
              seen.push(d);
              if (!naked) {
                naked = true;
                d.nak();
              } else await d.ack();
            }
          },
          { batchSize: 8, signal: controller.signal },
        );
        await t.eventLog.append(viewEvent(user!, 'retry-me'));
        await waitUntil('redelivery', () => seen.length >= 2, 3000);
        expect(seen.map((d) => [d.event.id, d.redelivered])).toEqual([
          ['retry-me', false],
          ['retry-me', true],
        ]);
        controller.abort();
        await done;
      });

      it('logs and terminates undecodable messages, never handing them over', async () => {
        const t = await harness.open();
        const [user] = usersIn(0, 2, 1);
        await harness.publishRaw(0, 'not json {');
        await harness.publishRaw(0, JSON.stringify({ type: 'view', id: 'x', userId: user })); // fields missing
        await t.eventLog.append(viewEvent(user!, 'good'));
        const consumer = startConsumer(t, 0);
        await waitUntil('good event', () => consumer.received.length >= 1);
        await sleep(800); // past the ack wait: terminated messages do not come back
        expect(consumer.ids()).toEqual(['good']);
        expect(logLines.filter((line) => line.includes('undecodable event terminated'))).toHaveLength(2);
        await consumer.stop();
      });

      it('returns promptly on abort, idle or after the in-flight batch finishes', async () => {
        const t = await harness.open();
        const [user] = usersIn(0, 2, 1);
        const idle = startConsumer(t, 1);
        await sleep(100);
        let started = Date.now();
        await idle.stop();
        expect(Date.now() - started).toBeLessThan(500);

        let finished = false;
        const busy = startConsumer(t, 0, {
          onBatch: async () => {
            await sleep(300);
            finished = true;
          },
        });
        await t.eventLog.append(viewEvent(user!, 'slow'));
        await waitUntil('batch', () => busy.received.length === 1);
        started = Date.now();
        await busy.stop();
        expect(finished).toBe(true);
        expect(Date.now() - started).toBeLessThan(1500);
      });
    });

    describe('catalog log', () => {
      it('replays the latest change per item (tombstones included), resolves when caught up, then streams live', async () => {
        const t = await harness.open();
        await t.catalogLog.put([item('a'), item('b'), item('c')]);
        await t.catalogLog.remove('b');
        await t.catalogLog.put([item('a', 'A v2')]);
        const changes: CatalogChange[] = [];
        const controller = new AbortController();
        await t.catalogLog.follow((change) => changes.push(change), controller.signal);
        expect(changes).toEqual([
          { type: 'upsert', item: item('c') },
          { type: 'delete', itemId: 'b' },
          { type: 'upsert', item: item('a', 'A v2') },
        ]);
        const writer = await harness.open();
        await writer.catalogLog.put([item('d.with.dots')]);
        await writer.catalogLog.remove('c');
        await waitUntil('live changes', () => changes.length >= 5);
        expect(changes.slice(3)).toEqual([
          { type: 'upsert', item: item('d.with.dots') },
          { type: 'delete', itemId: 'c' },
        ]);
        controller.abort();
        await sleep(50);
        await writer.catalogLog.put([item('after-abort')]);
        await sleep(200);
        expect(changes).toHaveLength(5);
      });

      it('replays a large catalog completely before resolving', async () => {
        const t = await harness.open();
        await t.catalogLog.put(Array.from({ length: 3000 }, (_, i) => item(`bulk-${i}`)));
        const seen = new Set<string>();
        const controller = new AbortController();
        await t.catalogLog.follow((change) => seen.add(change.type === 'upsert' ? change.item.itemId : change.itemId), controller.signal);
        expect(seen.size).toBe(3000);
        controller.abort();
      });

      it('resolves at once on an empty catalog and still delivers later changes', async () => {
        const t = await harness.open();
        const changes: CatalogChange[] = [];
        const controller = new AbortController();
        const started = Date.now();
        await t.catalogLog.follow((change) => changes.push(change), controller.signal);
        expect(Date.now() - started).toBeLessThan(1000);
        expect(changes).toEqual([]);
        await t.catalogLog.put([item('first')]);
        await waitUntil('first change', () => changes.length === 1);
        expect(changes[0]).toEqual({ type: 'upsert', item: item('first') });
        controller.abort();
      });
    });

    describe('push', () => {
      const message = (n: number): PushMessage => ({ event: 'promotion', data: { n } });

      it('reaches every subscriber of that user and nobody else; unsubscribe is idempotent', async () => {
        const gateway = await harness.open();
        const engine = await harness.open();
        const got = { a1: [] as unknown[], a2: [] as unknown[], b: [] as unknown[], all: [] as unknown[] };
        const handler = (key: keyof typeof got) => (m: PushMessage) => got[key].push(m.data);
        const offA1 = gateway.pushSubscriber.subscribeUser('user.a', handler('a1'));
        const offA2 = gateway.pushSubscriber.subscribeUser('user.a', handler('a2'));
        gateway.pushSubscriber.subscribeUser('user', handler('b'));
        gateway.pushSubscriber.subscribeAll(handler('all'));
        await gateway.flush();

        engine.notifier.pushToUser('user.a', message(1));
        engine.notifier.pushToAll(message(2));
        await waitUntil('first pushes', () => got.a1.length === 1 && got.a2.length === 1 && got.all.length === 1);
        expect(got.a1).toEqual([{ n: 1 }]);
        expect(got.all).toEqual([{ n: 2 }]);

        offA1();
        offA1();
        engine.notifier.pushToUser('user.a', message(3));
        await waitUntil('push to the remaining subscriber', () => got.a2.length === 2);
        offA2();
        await gateway.flush(); // the unsubscribe reached the server
        engine.notifier.pushToUser('user.a', message(4));
        await engine.flush(); // push 4 was routed (to nobody) before the next subscribe
        const offAgain = gateway.pushSubscriber.subscribeUser('user.a', handler('a1'));
        await gateway.flush();
        engine.notifier.pushToUser('user.a', message(5));
        await waitUntil('resubscribed push', () => got.a1.length === 2);
        await sleep(100);
        expect(got).toEqual({ a1: [{ n: 1 }, { n: 5 }], a2: [{ n: 1 }, { n: 3 }], b: [], all: [{ n: 2 }] });
        offAgain();
      });
    });

    describe('rpc', () => {
      it('round-trips results and PulseErrors; hides other errors as internal', async () => {
        const engine = await harness.open();
        const gateway = await harness.open();
        engine.rpcServer.serve('catalog.delete', async ({ itemId }) => {
          if (itemId === 'missing') throw new PulseError('not_found', 'no item missing', { itemId: 'unknown' });
          if (itemId === 'boom') throw new Error('secret internals');
          return { deleted: itemId === 'ok' };
        });
        await engine.flush();
        await expect(gateway.rpcClient.call('catalog.delete', { itemId: 'ok' })).resolves.toEqual({ deleted: true });
        const notFound = await gateway.rpcClient.call('catalog.delete', { itemId: 'missing' }).catch((err: unknown) => err);
        expect(notFound).toBeInstanceOf(PulseError);
        expect((notFound as PulseError).toWire()).toEqual({ code: 'not_found', message: 'no item missing', details: { itemId: 'unknown' } });
        const internal = await gateway.rpcClient.call('catalog.delete', { itemId: 'boom' }).catch((err: unknown) => err);
        expect((internal as PulseError).toWire()).toEqual({ code: 'internal', message: 'internal error' });
        expect(logLines.some((line) => line.includes('rpc handler failed'))).toBe(true);
      });

      it('fails as unavailable when nobody serves the method, and as timeout when the reply is late', async () => {
        const engine = await harness.open();
        const gateway = await harness.open();
        let started = Date.now();
        const unavailable = await gateway.rpcClient.call('catalog.upsert', { items: [] }).catch((err: unknown) => err);
        expect((unavailable as PulseError).code).toBe('unavailable');
        expect(Date.now() - started).toBeLessThan(1000);

        engine.rpcServer.serve('catalog.upsert', async () => {
          await sleep(600);
          return { upserted: 0 };
        });
        await engine.flush();
        started = Date.now();
        const late = await gateway.rpcClient.call('catalog.upsert', { items: [] }, 200).catch((err: unknown) => err);
        expect((late as PulseError).code).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(550);
      });

      it('has each request answered by exactly one of several engines', async () => {
        const engines = [await harness.open(), await harness.open()];
        const gateway = await harness.open();
        const calls = [0, 0];
        engines.forEach((engine, i) =>
          engine.rpcServer.serve('catalog.delete', async () => {
            calls[i]!++;
            return { deleted: true };
          }),
        );
        await Promise.all(engines.map((e) => e.flush()));
        await Promise.all(Array.from({ length: 20 }, (_, i) => gateway.rpcClient.call('catalog.delete', { itemId: `i${i}` })));
        expect(calls[0]! + calls[1]!).toBe(20);
      });
    });

    describe('lifecycle', () => {
      it('close() is idempotent, ends consumers and followers, and fails later calls as unavailable', async () => {
        const t = await harness.open();
        expect(t.isConnected()).toBe(true);
        const consumer = startConsumer(t, 0);
        const follower = new AbortController();
        await t.catalogLog.follow(() => undefined, follower.signal);
        t.pushSubscriber.subscribeUser('someone', () => undefined);
        await sleep(50);
        const started = Date.now();
        await Promise.all([t.close(), t.close()]);
        await t.close();
        await consumer.done;
        expect(Date.now() - started).toBeLessThan(3000);
        expect(t.isConnected()).toBe(false);
        const append = await t.eventLog.append(viewEvent('someone', 'late')).catch((err: unknown) => err);
        expect((append as PulseError).code).toBe('unavailable');
        const call = await t.rpcClient.call('catalog.delete', { itemId: 'x' }).catch((err: unknown) => err);
        expect((call as PulseError).code).toBe('unavailable');
        expect(() => t.notifier.pushToUser('someone', { event: 'member', data: {} })).not.toThrow();
      });
    });
  });
}

describeTransport('NATS', async () => {
  const server: TestServer = await startNats();
  const admin: NatsConnection = await connect({ servers: server.url });
  let options = { partitions: 2, ackWaitMs: 500 };
  const opened: NatsTransport[] = [];
  const cleanup = async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  };
  return {
    async reset(next) {
      options = next;
      await cleanup();
      const jsm = await jetstreamManager(admin);
      for (const stream of [EVENTS_STREAM, CATALOG_STREAM]) await jsm.streams.delete(stream).catch(() => false);
    },
    async open() {
      const transport = await NatsTransport.connect({ url: server.url, ...options, logger, name: `conformance-${opened.length}` });
      opened.push(transport);
      return transport;
    },
    async crash(transport) {
      await transport.close();
    },
    async publishRaw(partition, data) {
      await jetstream(admin).publish(`events.${partition}`, data);
    },
    cleanup,
    async stop() {
      await cleanup();
      await admin.close();
      await server.stop();
    },
  };
});

describeTransport('memory', async () => {
  let transport: MemoryTransport | undefined;
  let options = { partitions: 2, ackWaitMs: 500 };
  return {
    async reset(next) {
      options = next;
      await transport?.close();
      transport = undefined;
    },
    async open() {
      transport ??= new MemoryTransport({ ...options, logger });
      return transport;
    },
    async crash() {},
    async publishRaw(partition, data) {
      transport!.eventLog.appendRaw(partition, data);
    },
    async cleanup() {
      await transport?.close();
      transport = undefined;
    },
    async stop() {
      await transport?.close();
    },
  };
});

describe('NatsTransport specifics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => server?.stop());

  it('fails to connect as unavailable, within the connect timeout', async () => {
    const started = Date.now();
    const err = await NatsTransport.connect({ url: 'nats://127.0.0.1:1', partitions: 2, ackWaitMs: 500, logger, name: 'nowhere', connectTimeoutMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PulseError);
    expect((err as PulseError).code).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('brings existing streams and partition consumers up to the configured settings', async () => {
    const admin = await connect({ servers: server.url });
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: EVENTS_STREAM, subjects: ['events.*'], duplicate_window: 10_000_000_000 });
    await jsm.streams.add({ name: CATALOG_STREAM, subjects: ['catalog.item.*'] });
    const t = await NatsTransport.connect({ url: server.url, partitions: 2, ackWaitMs: 700, logger, name: 'upgrade' });
    expect((await jsm.streams.info(EVENTS_STREAM)).config.duplicate_window).toBe(120_000_000_000);
    expect((await jsm.streams.info(CATALOG_STREAM)).config.max_msgs_per_subject).toBe(1);
    for (const batchSize of [4, 8]) {
      const controller = new AbortController();
      const done = t.eventLog.consume(1, async () => undefined, { batchSize, signal: controller.signal });
      await sleep(100);
      controller.abort();
      await done;
      const { config } = await jsm.consumers.info(EVENTS_STREAM, 'engine-p1');
      expect(config).toMatchObject({ max_ack_pending: batchSize * 4, ack_wait: 700_000_000, filter_subject: 'events.1', ack_policy: 'explicit' });
    }
    await t.close();
    await admin.close();
  });

  it('reports a lost server and still closes promptly', async () => {
    const own = await startNats();
    const t = await NatsTransport.connect({ url: own.url, partitions: 2, ackWaitMs: 500, logger, name: 'orphan' });
    const consumer = startConsumer(t, 0);
    await sleep(100);
    await own.stop();
    await waitUntil('disconnect noticed', () => !t.isConnected(), 5000);
    const started = Date.now();
    await t.close();
    await consumer.done;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
