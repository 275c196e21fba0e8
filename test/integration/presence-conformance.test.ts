import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import type { EventLogWriter, EventSource } from '../../engine/stream/event-log.js';
import type { PresenceFollower, PresencePublisher } from '../../engine/platform/presence-channel.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { startNats, type TestServer } from '../helpers/servers.js';

/** One process' side: NATS a connection of its own, memory the one shared bus. */
interface Side {
  presence: PresencePublisher & PresenceFollower;
  eventLog: EventLogWriter & EventSource;
  flush(): Promise<void>;
}

interface Harness {
  /** A gateway or an engine process. */
  open(): Promise<Side>;
  close(): Promise<void>;
}

const { logger } = captureLogger();
const PARTITIONS = 1;

/** Lets everything sent so far reach the other sides (NATS: both connections flushed). */
async function settle(...sides: Side[]): Promise<void> {
  for (const side of sides) await side.flush();
}

function viewEvent(userId: string, id: string): StoredEvent {
  const now = Date.now();
  return { type: 'view', id, userId, itemId: 'item-1', ts: now, receivedAt: now };
}

/** One suite, both adapters of presence (PresencePublisher on gateways, PresenceFollower on engines). */
function presenceSuite(name: string, make: () => Promise<Harness>) {
  describe(`presence conformance: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => h.close());

    it('a user joined before an event is present when the engine consumes that event', async () => {
      const [gateway, engine] = [await h.open(), await h.open()];
      const view = engine.presence.follow();
      await settle(engine);
      const seen: boolean[] = [];
      const stop = new AbortController();
      const consuming = engine.eventLog.consume(
        0,
        async (batch) => {
          for (const delivered of batch) {
            if (delivered.event.userId === 'first-u') seen.push(view.isPresent('first-u'));
            await delivered.ack();
          }
        },
        { batchSize: 10, signal: stop.signal },
      );
      await gateway.presence.join('gw-a', 60_000, ['first-u']);
      await gateway.eventLog.append(viewEvent('first-u', 'first-ev'));
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
      expect(seen).toEqual([true]);
      stop.abort();
      await consuming;
    });

    it('join, leave and beat per gateway: a leave from one gateway keeps the user held on another', async () => {
      const [a, b, engine] = [await h.open(), await h.open(), await h.open()];
      const view = engine.presence.follow();
      await settle(engine);
      await a.presence.join('gw-a', 60_000, ['both', 'only-a']);
      await b.presence.join('gw-b', 60_000, ['both']);
      await settle(a, b, engine);
      expect(['both', 'only-a', 'nobody'].map((u) => view.isPresent(u))).toEqual([true, true, false]);
      a.presence.leave('gw-a', ['both', 'only-a']);
      await settle(a, engine);
      expect([view.isPresent('both'), view.isPresent('only-a')]).toEqual([true, false]);
      b.presence.leave('gw-b', ['both']);
      await settle(b, engine);
      expect(view.isPresent('both')).toBe(false);
      // A beat adds what it lists (an engine that missed the join learns it).
      b.presence.beat('gw-b', 60_000, ['late']);
      await settle(b, engine);
      expect(view.isPresent('late')).toBe(true);
      b.presence.leave('gw-b', ['late']);
      await settle(b, engine);
    });

    it('an entry not refreshed within its ttl is gone; a beat refreshes the users it lists', async () => {
      const [gateway, engine] = [await h.open(), await h.open()];
      const view = engine.presence.follow();
      await settle(engine);
      const before = view.count();
      // Sleeping longer than asked only makes "gone" more certain; "kept" has 500 ms to spare.
      const ttlMs = 1200;
      await gateway.presence.join('gw-exp', ttlMs, ['kept', 'dropped']);
      await settle(gateway, engine);
      expect(view.count()).toBe(before + 2);
      await sleep(700);
      gateway.presence.beat('gw-exp', ttlMs, ['kept']);
      await settle(gateway, engine);
      await sleep(700); // 1400 ms after the join, 700 after the beat
      expect([view.isPresent('kept'), view.isPresent('dropped')]).toEqual([true, false]);
      expect(view.count()).toBe(before + 1);
      await sleep(700); // the gateway died: no more beats
      expect(view.isPresent('kept')).toBe(false);
      expect(view.count()).toBe(before);
    });

    it('an engine that starts asks the gateways for a beat and sees their users without waiting for the heartbeat', async () => {
      const gateway = await h.open();
      const held = Array.from({ length: 20_000 }, (_, i) => `synced-user-with-a-rather-long-id-to-need-several-messages-${i}`);
      let syncs = 0;
      const stop = gateway.presence.onSyncRequest(() => {
        syncs += 1;
        gateway.presence.beat('gw-sync', 60_000, held);
      });
      await settle(gateway);
      const engine = await h.open();
      const view = engine.presence.follow();
      expect(engine.presence.follow()).toBe(view);
      // ~1.4 MB of ids: several messages under the max payload, all applied.
      await expect.poll(() => held.every((u) => view.isPresent(u)), { timeout: 5000 }).toBe(true);
      // Each follow() asks once (the second returned the same view).
      await expect.poll(() => syncs).toBe(2);
      stop();
      gateway.presence.leave('gw-sync', held);
      await settle(gateway, engine);
      expect(view.isPresent(held[0]!)).toBe(false);
    });
  });
}

presenceSuite('NATS', async () => {
  const server: TestServer = await startNats();
  const opened: NatsTransport[] = [];
  return {
    async open() {
      const transport = await NatsTransport.connect({
        url: server.url,
        partitions: PARTITIONS,
        ackWaitMs: 5000,
        logger,
        name: `presence-${opened.length}`,
      });
      opened.push(transport);
      return transport;
    },
    async close() {
      await Promise.all(opened.map((t) => t.close()));
      await server.stop();
    },
  };
});

presenceSuite('memory', async () => {
  const transport = new MemoryTransport({ partitions: PARTITIONS, ackWaitMs: 5000, logger });
  return {
    async open() {
      return transport;
    },
    close: () => transport.close(),
  };
});
