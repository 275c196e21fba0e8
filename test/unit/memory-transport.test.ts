import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { PulseError } from '../../engine/contracts/errors.js';
import type { CatalogChange } from '../../engine/contracts/messages.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import { captureLogger } from '../helpers/capture-logger.js';

const { logger, lines: logLines } = captureLogger();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A user id of partition 0 of 1: every user, so events stay in one ordered partition. */
function event(id: string, userId = 'shopper-1'): StoredEvent {
  return { type: 'view', id, userId, itemId: 'item-1', ts: 1_700_000_000_000, receivedAt: 1_700_000_000_000 };
}

const transports: MemoryTransport[] = [];
function transport(options: { ackWaitMs?: number; duplicateWindowMs?: number; partitions?: number } = {}): MemoryTransport {
  const t = new MemoryTransport({
    partitions: options.partitions ?? 1,
    ackWaitMs: options.ackWaitMs ?? 10_000,
    duplicateWindowMs: options.duplicateWindowMs,
    logger,
  });
  transports.push(t);
  return t;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(transports.splice(0).map((t) => t.close()));
  logLines.length = 0;
});

function consume(t: MemoryTransport, handler: (batch: DeliveredEvent[]) => Promise<void>, batchSize = 8) {
  const controller = new AbortController();
  const done = t.eventLog.consume(0, handler, { batchSize, signal: controller.signal });
  return { done, stop: async () => (controller.abort(), done) };
}

describe('MemoryTransport event log', () => {
  it('never delivers inside append: the handler runs on a later turn', async () => {
    const t = transport();
    const seen: string[] = [];
    const consumer = consume(t, async (batch) => {
      for (const d of batch) {
        seen.push(d.event.id);
        await d.ack();
      }
    });
    await sleep(10);
    void t.eventLog.append(event('a'));
    expect(seen).toEqual([]);
    await expect.poll(() => seen.length, { timeout: 3000, interval: 2, message: 'delivery' }).toBe(1);
    await consumer.stop();
  });

  it('forgets a message id after the duplicate window', async () => {
    // The window is measured on Date.now: the fake clock moves past it.
    vi.useFakeTimers();
    const t = transport({ duplicateWindowMs: 50 });
    const first = await t.eventLog.append(event('a'));
    expect(await t.eventLog.append(event('a'))).toEqual({ seq: first.seq, duplicate: true });
    await vi.advanceTimersByTimeAsync(80);
    const later = await t.eventLog.append(event('a'));
    expect(later.duplicate).toBe(false);
    expect(later.seq).toBeGreaterThan(first.seq);
  });

  it('holds back deliveries beyond 4 x batchSize unacked, and resumes once acked', async () => {
    const t = transport();
    const held: DeliveredEvent[] = [];
    const consumer = consume(t, async (batch) => void held.push(...batch), 2);
    for (let i = 0; i < 20; i++) await t.eventLog.append(event(`e${i}`));
    await expect.poll(() => held.length, { timeout: 3000, interval: 2, message: '8 deliveries' }).toBe(8);
    await sleep(50);
    expect(held).toHaveLength(8);
    await Promise.all(held.map((d) => d.ack()));
    await expect.poll(() => held.length, { timeout: 3000, interval: 2, message: 'the next 8' }).toBe(16);
    expect(held.map((d) => d.event.id)).toEqual(Array.from({ length: 16 }, (_, i) => `e${i}`));
    await consumer.stop();
  });

  it('logs a failing handler and redelivers its unacked events after the ack wait', async () => {
    // The ack wait is a setTimeout against Date.now: both follow the fake clock.
    vi.useFakeTimers();
    const t = transport({ ackWaitMs: 100 });
    const seen: DeliveredEvent[] = [];
    const consumer = consume(t, async (batch) => {
      seen.push(...batch);
      if (seen.length === 1) throw new Error('store down');
      for (const d of batch) await d.ack();
    });
    const appendedAt = Date.now();
    await t.eventLog.append(event('a'));
    // Timer by timer, so the clock stops at the redelivery rather than past it.
    for (let i = 0; i < 10 && seen.length < 2; i++) await vi.advanceTimersToNextTimerAsync();
    await expect.poll(() => seen.length, { timeout: 3000, interval: 2, message: 'redelivery' }).toBe(2);
    expect(Date.now() - appendedAt).toBeGreaterThanOrEqual(95);
    expect(seen.map((d) => d.redelivered)).toEqual([false, true]);
    expect(logLines.some((line) => line.includes('event batch handler failed'))).toBe(true);
    await consumer.stop();
  });

  it('redelivers a nak with delay only after the delay', async () => {
    // The nak delay is a setTimeout against Date.now: both follow the fake clock.
    vi.useFakeTimers();
    const t = transport();
    const seenAt: number[] = [];
    const consumer = consume(t, async (batch) => {
      for (const d of batch) {
        seenAt.push(Date.now());
        if (seenAt.length === 1) d.nak(150);
        else await d.ack();
      }
    });
    await t.eventLog.append(event('a'));
    await vi.advanceTimersByTimeAsync(150);
    await expect.poll(() => seenAt.length, { timeout: 3000, interval: 2, message: 'redelivery' }).toBe(2);
    expect(seenAt[1]! - seenAt[0]!).toBeGreaterThanOrEqual(145);
    await consumer.stop();
  });

  it('keeps order per partition across many partitions', async () => {
    const t = transport({ partitions: 4 });
    const appended = new Map<number, string[]>();
    for (let i = 0; i < 200; i++) {
      const userId = `user-${i % 13}`;
      const p = partitionOf(userId, 4);
      appended.set(p, [...(appended.get(p) ?? []), `e${i}`]);
      await t.eventLog.append(event(`e${i}`, userId));
    }
    const received = new Map<number, string[]>();
    const controller = new AbortController();
    const runs = [0, 1, 2, 3].map((p) =>
      t.eventLog.consume(
        p,
        async (batch) => {
          for (const d of batch) {
            received.set(p, [...(received.get(p) ?? []), d.event.id]);
            await d.ack();
          }
        },
        { batchSize: 7, signal: controller.signal },
      ),
    );
    await expect
      .poll(() => [...received.values()].reduce((n, ids) => n + ids.length, 0), { timeout: 3000, interval: 2, message: 'all events' })
      .toBe(200);
    expect(received).toEqual(appended);
    controller.abort();
    await Promise.all(runs);
  });

  it('rejects bad arguments as programmer errors', async () => {
    const t = transport({ partitions: 2 });
    const signal = new AbortController().signal;
    await expect(t.eventLog.consume(2, async () => undefined, { batchSize: 1, signal })).rejects.toThrow(RangeError);
    await expect(t.eventLog.consume(0, async () => undefined, { batchSize: 0, signal })).rejects.toThrow(RangeError);
    expect(() => t.eventLog.appendRaw(-1, 'x')).toThrow(RangeError);
  });
});

describe('MemoryTransport catalog log', () => {
  it('delivers changes made during the replay after it, in order, each once', async () => {
    const t = transport();
    await t.catalogLog.put([{ itemId: 'a', title: 'A', category: 'c', price: 1 }]);
    const changes: CatalogChange[] = [];
    const controller = new AbortController();
    const following = t.catalogLog.follow((change) => {
      changes.push(change);
      if (changes.length === 1) throw new Error('handler bug'); // logged; the follow goes on
    }, controller.signal);
    await t.catalogLog.remove('a');
    await t.catalogLog.put([{ itemId: 'b', title: 'B', category: 'c', price: 2 }]);
    await following;
    await expect.poll(() => changes.length, { timeout: 3000, interval: 2, message: 'all three' }).toBe(3);
    expect(changes.map((c) => (c.type === 'upsert' ? `+${c.item.itemId}` : `-${c.itemId}`))).toEqual(['+a', '-a', '+b']);
    expect(logLines.some((line) => line.includes('catalog change handler failed'))).toBe(true);
    controller.abort();
  });

  it('gives each follower its own copy of an item', async () => {
    const t = transport();
    await t.catalogLog.put([{ itemId: 'a', title: 'A', category: 'c', price: 1 }]);
    const copies: CatalogChange[] = [];
    const controller = new AbortController();
    await t.catalogLog.follow((change) => copies.push(change), controller.signal);
    await t.catalogLog.follow((change) => copies.push(change), controller.signal);
    expect(copies).toHaveLength(2);
    expect(copies[0]).toEqual(copies[1]);
    expect(copies[0]).not.toBe(copies[1]);
    controller.abort();
  });
});

describe('MemoryTransport rpc', () => {
  it('takes turns among several servers of one method and fails as unavailable after close', async () => {
    const t = transport();
    const calls = [0, 0];
    for (const i of [0, 1]) {
      t.rpcServer.serve('catalog.delete', async () => {
        calls[i]!++;
        return { deleted: true };
      });
    }
    for (let i = 0; i < 10; i++) await t.rpcClient.call('catalog.delete', { itemId: 'x' });
    expect(calls).toEqual([5, 5]);
    await t.close();
    const err = await t.rpcClient.call('catalog.delete', { itemId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulseError);
    expect((err as PulseError).code).toBe('unavailable');
  });

  it('passes requests and results through JSON, like the wire', async () => {
    const t = transport();
    let received: unknown;
    t.rpcServer.serve('catalog.upsert', async (request) => {
      received = request;
      return { upserted: request.items.length };
    });
    const request = { items: [{ itemId: 'a', title: 'A', category: 'c', price: 1 }] };
    expect(await t.rpcClient.call('catalog.upsert', request)).toEqual({ upserted: 1 });
    expect(received).toEqual(request);
    expect(received).not.toBe(request);
  });
});
