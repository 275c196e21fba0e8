import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { CATALOG_STREAM, EVENTS_STREAM } from '../../engine/contracts/subjects.js';
import { startNats, type TestServer } from '../helpers/servers.js';
import { logger, sleep, startConsumer, usersIn, viewEvent } from '../helpers/transport-harness.js';

describe('NatsTransport specifics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => server?.stop());

  it('fails to connect as unavailable, within the connect timeout', async () => {
    // Within the connect timeout: not retried for ever (the test's 15 s timeout would fail it).
    const err = await NatsTransport.connect({
      url: 'nats://127.0.0.1:1',
      partitions: 2,
      ackWaitMs: 500,
      logger,
      name: 'nowhere',
      connectTimeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulseError);
    expect((err as PulseError).code).toBe('unavailable');
  }, 15_000);

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
      expect(config).toMatchObject({
        max_ack_pending: batchSize * 4,
        ack_wait: 700_000_000,
        filter_subject: 'events.1',
        ack_policy: 'explicit',
      });
    }
    await t.close();
    await admin.close();
  });

  it('keeps an event held past the ack wait from being redelivered while the partition is consumed, and hands it on once released', async () => {
    const t = await NatsTransport.connect({ url: server.url, partitions: 2, ackWaitMs: 400, logger, name: 'working' });
    const [userId] = usersIn(0, 2, 1, 'held');
    // The handler keeps the event (as the engine's queues do with a backlog) and never acks it.
    const first = startConsumer(t, 0, { ack: () => false });
    await t.eventLog.append(viewEvent(userId!, 'held-1'));
    await expect.poll(() => first.received.length, { timeout: 5000, interval: 5, message: 'delivered' }).toBe(1);
    await sleep(2000); // five ack waits
    expect(first.ids()).toEqual(['held-1']);
    await first.stop();
    // Released unacked: the next consumer of the partition gets it once the ack wait has passed.
    const second = startConsumer(t, 0);
    await expect.poll(() => second.received.length, { timeout: 5000, interval: 5, message: 'redelivered' }).toBe(1);
    expect(second.received[0]!.redelivered).toBe(true);
    await second.stop();
    await t.close();
  });

  it('reports a lost server and still closes promptly', async () => {
    const own = await startNats();
    const t = await NatsTransport.connect({ url: own.url, partitions: 2, ackWaitMs: 500, logger, name: 'orphan' });
    const consumer = startConsumer(t, 0);
    await sleep(100);
    await own.stop();
    await expect.poll(() => !t.isConnected(), { timeout: 5000, interval: 5, message: 'disconnect noticed' }).toBe(true);
    await t.close(); // Promptly: the 15 s test timeout stands for it (a 30 s pull expiry would fail it).
    await consumer.done;
  }, 15_000);
});
