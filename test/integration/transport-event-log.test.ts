import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import type { DeliveredEvent } from '../../engine/ports/event-log.js';
import { describeTransports, logLines, sleep, startConsumer, usersIn, viewEvent, waitUntil } from '../helpers/transport-harness.js';

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
});
