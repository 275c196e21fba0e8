import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import { BATCH_APPEND_WINDOW, EventIntake, MAX_EVENTS_PER_BATCH } from '../../gateway/event-intake.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { startNats, type TestServer } from '../helpers/servers.js';

/**
 * `POST /v1/events` appends a batch with up to BATCH_APPEND_WINDOW publishes in flight on one NATS
 * connection; nats.js writes them in call order and the server stores them in arrival order, so
 * each user's events land in the stream in the order of the request.
 */
describe('pipelined batch appends on JetStream', () => {
  let server: TestServer;
  let transport: NatsTransport;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    server = await startNats();
    transport = await NatsTransport.connect({ url: server.url, partitions: 2, ackWaitMs: 5000, logger, name: 'pipelined-appends' });
  });
  afterAll(async () => {
    await transport?.close();
    await server?.stop();
  });

  it("keeps each user's order across a full batch with many appends in flight", async () => {
    const intake = new EventIntake({
      eventLog: transport.eventLog,
      metrics: new GatewayMetrics({ defaultMetrics: false }),
      logger,
      appendTimeoutMs: 5000,
    });
    const users = ['ana', 'ben', 'cai', 'dee', 'eve'];
    const raws = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => ({
      type: 'view',
      itemId: `i${i}`,
      id: `e${i}`,
      userId: users[i % users.length],
    }));
    expect(MAX_EVENTS_PER_BATCH).toBeGreaterThan(BATCH_APPEND_WINDOW);
    const result = await intake.intakeBatch(raws, { sub: 'ops', role: 'admin' });
    expect(result).toEqual({ accepted: MAX_EVENTS_PER_BATCH, rejected: [] });

    const received: DeliveredEvent[] = [];
    const stop = new AbortController();
    const consumers = [0, 1].map((partition) =>
      transport.eventLog.consume(
        partition,
        async (batch) => {
          received.push(...batch);
          for (const d of batch) await d.ack();
        },
        { batchSize: 256, signal: stop.signal },
      ),
    );
    await expect
      .poll(() => received.length, { timeout: 10_000, interval: 5, message: 'every event' })
      .toBeGreaterThanOrEqual(MAX_EVENTS_PER_BATCH);
    stop.abort();
    await Promise.all(consumers);
    for (const user of users) {
      const inStream = received.filter((d) => d.event.userId === user).sort((a, b) => a.seq - b.seq);
      const indexes = inStream.map((d) => Number(d.event.id.slice(1)));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      expect(indexes).toHaveLength(MAX_EVENTS_PER_BATCH / users.length);
    }
  });
});
