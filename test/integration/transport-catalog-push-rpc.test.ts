import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import type { CatalogChange, PushMessage } from '../../engine/contracts/messages.js';
import { describeTransports, item, logLines, sleep, startConsumer, viewEvent } from '../helpers/transport-harness.js';
import { DEFAULT_MAX_PER_SLICE } from '../../engine/platform/sliced-queue.js';

describeTransports((harness) => {
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
      await expect.poll(() => changes.length, { timeout: 5000, interval: 5, message: 'live changes' }).toBeGreaterThanOrEqual(5);
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

    it('hands a large burst to the handler in slices, the event loop turning between them', async () => {
      const t = await harness.open();
      const controller = new AbortController();
      let delivered = 0;
      await t.catalogLog.follow(() => delivered++, controller.signal);
      // A setImmediate that re-arms itself runs once per turn of the loop.
      let turning = true;
      let lastSeen = 0;
      let maxPerTurn = 0;
      const turn = () => {
        maxPerTurn = Math.max(maxPerTurn, delivered - lastSeen);
        lastSeen = delivered;
        if (turning) setImmediate(turn);
      };
      setImmediate(turn);
      const writer = await harness.open();
      await writer.catalogLog.put(Array.from({ length: 3000 }, (_, i) => item(`burst-${i}`)));
      await expect.poll(() => delivered, { timeout: 15_000, interval: 5, message: 'the burst' }).toBe(3000);
      turning = false;
      controller.abort();
      expect(maxPerTurn).toBeLessThanOrEqual(DEFAULT_MAX_PER_SLICE);
    });

    it('resolves at once on an empty catalog and still delivers later changes', async () => {
      const t = await harness.open();
      const changes: CatalogChange[] = [];
      const controller = new AbortController();
      // At once: a follow that waited for a first change would never resolve here (the test's 15 s timeout fails it).
      await t.catalogLog.follow((change) => changes.push(change), controller.signal);
      expect(changes).toEqual([]);
      await t.catalogLog.put([item('first')]);
      await expect.poll(() => changes.length, { timeout: 5000, interval: 5, message: 'first change' }).toBe(1);
      expect(changes[0]).toEqual({ type: 'upsert', item: item('first') });
      controller.abort();
    }, 15_000);
  });

  describe('push', () => {
    const message = (n: number): PushMessage => ({ event: 'member', data: { n } });

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
      await expect
        .poll(() => got.a1.length === 1 && got.a2.length === 1 && got.all.length === 1, {
          timeout: 5000,
          interval: 5,
          message: 'first pushes',
        })
        .toBe(true);
      expect(got.a1).toEqual([{ n: 1 }]);
      expect(got.all).toEqual([{ n: 2 }]);

      offA1();
      offA1();
      engine.notifier.pushToUser('user.a', message(3));
      await expect.poll(() => got.a2.length, { timeout: 5000, interval: 5, message: 'push to the remaining subscriber' }).toBe(2);
      offA2();
      await gateway.flush(); // the unsubscribe reached the server
      engine.notifier.pushToUser('user.a', message(4));
      await engine.flush(); // push 4 was routed (to nobody) before the next subscribe
      const offAgain = gateway.pushSubscriber.subscribeUser('user.a', handler('a1'));
      await gateway.flush();
      engine.notifier.pushToUser('user.a', message(5));
      await expect.poll(() => got.a1.length, { timeout: 5000, interval: 5, message: 'resubscribed push' }).toBe(2);
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
      // At once: waiting out the call's timeout would answer `timeout`, not `unavailable`.
      const unavailable = await gateway.rpcClient.call('catalog.upsert', { items: [] }).catch((err: unknown) => err);
      expect((unavailable as PulseError).code).toBe('unavailable');

      engine.rpcServer.serve('catalog.upsert', async () => {
        await sleep(600);
        return { upserted: 0 };
      });
      await engine.flush();
      // Given up at its 200 ms deadline: a client that waited for the 600 ms reply would have had it.
      const late = await gateway.rpcClient.call('catalog.upsert', { items: [] }, 200).catch((err: unknown) => err);
      expect((late as PulseError).code).toBe('timeout');
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
      // Promptly: the 15 s test timeout stands for it (a 30 s pull expiry would fail it).
      await Promise.all([t.close(), t.close()]);
      await t.close();
      await consumer.done;
      expect(t.isConnected()).toBe(false);
      const append = await t.eventLog.append(viewEvent('someone', 'late')).catch((err: unknown) => err);
      expect((append as PulseError).code).toBe('unavailable');
      const call = await t.rpcClient.call('catalog.delete', { itemId: 'x' }).catch((err: unknown) => err);
      expect((call as PulseError).code).toBe('unavailable');
      expect(() => t.notifier.pushToUser('someone', { event: 'member', data: {} })).not.toThrow();
    }, 15_000);
  });
});
