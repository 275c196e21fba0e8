import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import { describeTransports, logLines, sleep, startConsumer, usersIn, viewEvent } from '../helpers/transport-harness.js';

describeTransports((harness) => {
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
      await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: '30 events' }).toBeGreaterThanOrEqual(30);
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
      await expect.poll(() => consumer.ids().includes('marker'), { timeout: 5000, interval: 5, message: 'marker' }).toBe(true);
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
      await expect
        .poll(() => consumers[0]!.received.length + consumers[1]!.received.length, { timeout: 5000, interval: 5, message: '300 events' })
        .toBeGreaterThanOrEqual(300);
      for (const consumer of consumers) {
        for (const d of consumer.received) expect(partitionOf(d.event.userId, 2)).toBe(d.partition);
        await consumer.stop();
      }
    });

    it('hands each event to an idle consumer as it is appended', async () => {
      const t = await harness.open();
      const [user] = usersIn(1, 2, 1);
      const consumer = startConsumer(t, 1);
      await sleep(300); // idle: the consumer waits on an empty partition
      // Each append reaches the waiting consumer without a pull having to expire (30 s); how fast is `npm run bench`'s.
      for (let i = 0; i < 5; i++) {
        await t.eventLog.append(viewEvent(user!, `fast${i}`));
        await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'delivery' }).toBeGreaterThan(i);
      }
      await consumer.stop();
    }, 15_000);

    it('redelivers what a dead consumer left unacked to the next one, after the ack wait', async () => {
      const first = await harness.open();
      const [user] = usersIn(0, 2, 1);
      const consumer = startConsumer(first, 0, { ack: (d) => d.event.id !== 'unacked' });
      await first.eventLog.append(viewEvent(user!, 'acked'));
      await first.eventLog.append(viewEvent(user!, 'unacked'));
      await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'both' }).toBeGreaterThanOrEqual(2);
      await consumer.stop(); // Promptly: the 15 s test timeout stands for it (a 30 s pull expiry would fail it).
      await harness.crash(first);

      const second = await harness.open();
      const successor = startConsumer(second, 0);
      await second.eventLog.append(viewEvent(user!, 'new'));
      await expect
        .poll(() => successor.ids().includes('unacked') && successor.ids().includes('new'), {
          timeout: 5000,
          interval: 5,
          message: 'redelivery and new event',
        })
        .toBe(true);
      await sleep(700); // past another ack wait: acked ones never come back
      expect(successor.ids().sort()).toEqual(['new', 'unacked']);
      expect(successor.received.find((d) => d.event.id === 'unacked')!.redelivered).toBe(true);
      expect(successor.received.find((d) => d.event.id === 'new')!.redelivered).toBe(false);
      await successor.stop();
    }, 15_000);

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
      await expect.poll(() => seen.length, { timeout: 3000, interval: 5, message: 'redelivery' }).toBeGreaterThanOrEqual(2);
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
      await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'good event' }).toBeGreaterThanOrEqual(1);
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
      await idle.stop(); // Promptly: the 15 s test timeout stands for it (a 30 s pull expiry would fail it).

      let finished = false;
      const busy = startConsumer(t, 0, {
        onBatch: async () => {
          await sleep(300);
          finished = true;
        },
      });
      await t.eventLog.append(viewEvent(user!, 'slow'));
      await expect.poll(() => busy.received.length, { timeout: 5000, interval: 5, message: 'batch' }).toBe(1);
      await busy.stop();
      expect(finished).toBe(true);
    }, 15_000);
  });
});
