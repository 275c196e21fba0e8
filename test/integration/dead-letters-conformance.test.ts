import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { DEADLETTERS_STREAM, EVENTS_STREAM, subjects } from '../../engine/contracts/subjects.js';
import type { DeadLetters } from '../../engine/stream/dead-letters.js';
import type { DeliveredEvent, EventLogWriter, EventSource } from '../../engine/stream/event-log.js';
import { startNats, type TestServer } from '../helpers/servers.js';
import { logger, sleep, usersIn, viewEvent } from '../helpers/transport-harness.js';

const PARTITIONS = 2;
const ACK_WAIT_MS = 500;

interface Side {
  eventLog: EventLogWriter & EventSource;
  deadLetters: DeadLetters;
}

interface Harness {
  /** A fresh transport over empty EVENTS and DEADLETTERS. */
  open(): Promise<Side>;
  /** From now on storing a dead letter fails (NATS: DEADLETTERS deleted). */
  breakStore(): Promise<void>;
  repairStore(): Promise<void>;
  cleanup(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a consumer of one partition; `decide` handles each delivery (ack by default). */
function consume(side: Side, partition: number, decide: (d: DeliveredEvent) => Promise<void> = (d) => d.ack()) {
  const controller = new AbortController();
  const received: DeliveredEvent[] = [];
  const done = side.eventLog.consume(
    partition,
    async (batch) => {
      for (const delivered of batch) {
        received.push(delivered);
        await decide(delivered);
      }
    },
    { batchSize: 16, signal: controller.signal },
  );
  return { received, stop: async () => (controller.abort(), done) };
}

const failure = { code: 'internal', message: 'WRONGTYPE Operation against a key\nholding the wrong kind of value', attempts: 3 };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isPulseError(err) ? err.code : `not a PulseError: ${String(err)}`;
  }
}

function deadLettersSuite(name: string, makeHarness: () => Promise<Harness>) {
  describe(`DeadLetters conformance: ${name}`, () => {
    const h = {} as Harness;
    beforeAll(async () => {
      Object.assign(h, await makeHarness());
    });
    afterAll(async () => h.stop?.());
    afterEach(async () => h.cleanup());

    /** Appends `events`, dead-letters those `fail` picks (acks the rest), waits until all are settled. */
    async function deadLetterSome(side: Side, events: StoredEvent[], fail: (e: StoredEvent) => boolean) {
      const seqs = new Map<string, number>();
      for (const event of events) seqs.set(event.id, (await side.eventLog.append(event)).seq);
      const consumer = consume(side, 0, (d) => (fail(d.event as StoredEvent) ? d.deadLetter(failure) : d.ack()));
      await expect
        .poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'every event handled' })
        .toBeGreaterThanOrEqual(events.length);
      await consumer.stop();
      return seqs;
    }

    it('counts deliveries: 1 on the first, one more after each nak', async () => {
      const side = await h.open();
      const [user] = usersIn(0, PARTITIONS, 1);
      await side.eventLog.append(viewEvent(user!, 'e1'));
      const consumer = consume(side, 0, async (d) => (d.deliveryCount < 3 ? d.nak() : d.ack()));
      await expect
        .poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'three deliveries' })
        .toBeGreaterThanOrEqual(3);
      await sleep(100);
      await consumer.stop();
      expect(consumer.received.map((d) => [d.deliveryCount, d.redelivered])).toEqual([
        [1, false],
        [2, true],
        [3, true],
      ]);
    });

    it('stores a dead letter with its failure and acks the event: never redelivered, the partition goes on', async () => {
      const side = await h.open();
      const [bad, good] = usersIn(0, PARTITIONS, 2);
      const poison = viewEvent(bad!, 'poison');
      const next = viewEvent(good!, 'next');
      const before = Date.now();
      const seqs = await deadLetterSome(side, [poison, next], (e) => e.id === 'poison');
      const again = consume(side, 0);
      await sleep(ACK_WAIT_MS * 2);
      await again.stop();
      expect(again.received).toEqual([]);
      const { deadLetters, next: more } = await side.deadLetters.list({ limit: 10 });
      expect(more).toBeUndefined();
      expect(deadLetters).toHaveLength(1);
      const [letter] = deadLetters;
      expect(letter).toMatchObject({
        partition: 0,
        event: poison,
        // Stored on one line: header values hold no line breaks.
        failure: { code: 'internal', message: 'WRONGTYPE Operation against a key holding the wrong kind of value', attempts: 3 },
        originalSeq: seqs.get('poison'),
      });
      expect(letter!.id).toMatch(/^[1-9][0-9]*$/);
      expect(letter!.failedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(letter!.failedAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('dead-lettering one delivery twice stores it once', async () => {
      const side = await h.open();
      const [user] = usersIn(0, PARTITIONS, 1);
      await side.eventLog.append(viewEvent(user!, 'twice'));
      const consumer = consume(side, 0, async (d) => {
        await d.deadLetter(failure);
        await d.deadLetter(failure);
      });
      await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'delivered' }).toBeGreaterThanOrEqual(1);
      await sleep(50);
      await consumer.stop();
      expect((await side.deadLetters.list({ limit: 10 })).deadLetters).toHaveLength(1);
    });

    it('lists newest first in pages (limit, before, next) and refuses a bad limit or before', async () => {
      const side = await h.open();
      const users = usersIn(0, PARTITIONS, 5);
      await deadLetterSome(
        side,
        users.map((u, i) => viewEvent(u, `d${i}`)),
        () => true,
      );
      const first = await side.deadLetters.list({ limit: 2 });
      expect(first.deadLetters.map((d) => (d.event as StoredEvent).id)).toEqual(['d4', 'd3']);
      const ids = first.deadLetters.map((d) => Number(d.id));
      expect(ids[0]).toBeGreaterThan(ids[1]!);
      expect(first.next).toBe(first.deadLetters[1]!.id);
      const second = await side.deadLetters.list({ limit: 2, before: first.next! });
      expect(second.deadLetters.map((d) => (d.event as StoredEvent).id)).toEqual(['d2', 'd1']);
      // A dropped one leaves no hole in a page.
      await side.deadLetters.drop(second.deadLetters[1]!.id);
      const last = await side.deadLetters.list({ limit: 2, before: second.next! });
      expect(last.deadLetters.map((d) => (d.event as StoredEvent).id)).toEqual(['d0']);
      expect(last.next).toBeUndefined();
      expect((await side.deadLetters.list({ limit: 200 })).deadLetters.map((d) => (d.event as StoredEvent).id)).toEqual([
        'd4',
        'd3',
        'd2',
        'd0',
      ]);
      for (const page of [{ limit: 0 }, { limit: 201 }, { limit: 1.5 }, { limit: 5, before: 'abc' }, { limit: 5, before: '0' }]) {
        expect(await codeOf(side.deadLetters.list(page))).toBe('invalid_request');
      }
    });

    it('replays: the original event (same user and id) is appended again and delivered anew, the dead letter is gone', async () => {
      const side = await h.open();
      const [user] = usersIn(0, PARTITIONS, 1);
      const event = viewEvent(user!, 'fixme');
      const seqs = await deadLetterSome(side, [event], () => true);
      const [letter] = (await side.deadLetters.list({ limit: 10 })).deadLetters;
      // Within the duplicate window of the original append (`userId/eventId`): not dropped.
      const { seq } = await side.deadLetters.replay(letter!.id);
      expect(seq).toBeGreaterThan(seqs.get('fixme')!);
      const consumer = consume(side, 0);
      await expect
        .poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'the replayed event' })
        .toBeGreaterThanOrEqual(1);
      await sleep(50);
      await consumer.stop();
      expect(consumer.received.map((d) => [d.event, d.seq, d.deliveryCount])).toEqual([[event, seq, 1]]);
      expect((await side.deadLetters.list({ limit: 10 })).deadLetters).toEqual([]);
      expect(await codeOf(side.deadLetters.replay(letter!.id))).toBe('not_found');
    });

    it('drops for good; unknown and malformed ids are not_found', async () => {
      const side = await h.open();
      const [user] = usersIn(1, PARTITIONS, 1);
      await side.eventLog.append(viewEvent(user!, 'drop-me'));
      const consumer = consume(side, 1, (d) => d.deadLetter(failure));
      await expect.poll(() => consumer.received.length, { timeout: 5000, interval: 5, message: 'delivered' }).toBeGreaterThanOrEqual(1);
      await consumer.stop();
      const [letter] = (await side.deadLetters.list({ limit: 10 })).deadLetters;
      expect(letter!.partition).toBe(1);
      await side.deadLetters.drop(letter!.id);
      expect((await side.deadLetters.list({ limit: 10 })).deadLetters).toEqual([]);
      for (const id of [letter!.id, '999999', '0', '-1', 'abc', '1e3', '']) {
        expect(await codeOf(side.deadLetters.drop(id))).toBe('not_found');
        expect(await codeOf(side.deadLetters.replay(id))).toBe('not_found');
      }
    });

    it('rejects with unavailable when the dead letter cannot be stored, and the event stays pending until it can', async () => {
      const side = await h.open();
      const [user] = usersIn(0, PARTITIONS, 1);
      await side.eventLog.append(viewEvent(user!, 'stuck'));
      await h.breakStore();
      const outcomes: Array<string | undefined> = [];
      const consumer = consume(side, 0, async (d) => {
        outcomes.push(await codeOf(d.deadLetter({ ...failure, attempts: d.deliveryCount })));
        if (outcomes.length === 1) await h.repairStore();
      });
      await expect.poll(() => outcomes.length, { timeout: 5000, interval: 5, message: 'redelivered and stored' }).toBeGreaterThanOrEqual(2);
      await consumer.stop();
      expect(outcomes).toEqual(['unavailable', undefined]);
      expect(consumer.received.map((d) => d.deliveryCount)).toEqual([1, 2]);
      const { deadLetters } = await side.deadLetters.list({ limit: 10 });
      expect(deadLetters.map((d) => [(d.event as StoredEvent).id, d.failure.attempts])).toEqual([['stuck', 2]]);
    });
  });
}

async function natsHarness(): Promise<Harness> {
  const server: TestServer = await startNats();
  const admin: NatsConnection = await connect({ servers: server.url });
  const jsm: JetStreamManager = await jetstreamManager(admin);
  const opened: NatsTransport[] = [];
  const cleanup = async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  };
  return {
    async open() {
      await cleanup();
      for (const stream of [EVENTS_STREAM, DEADLETTERS_STREAM]) await jsm.streams.delete(stream).catch(() => false);
      const transport = await NatsTransport.connect({
        url: server.url,
        partitions: PARTITIONS,
        ackWaitMs: ACK_WAIT_MS,
        logger,
        name: 'dead-letters-conformance',
      });
      opened.push(transport);
      return transport;
    },
    async breakStore() {
      await jsm.streams.delete(DEADLETTERS_STREAM);
    },
    async repairStore() {
      await jsm.streams.add({ name: DEADLETTERS_STREAM, subjects: [subjects.deadLettersAll] });
    },
    cleanup,
    async stop() {
      await cleanup();
      await admin.close();
      await server.stop();
    },
  };
}

async function memoryHarness(): Promise<Harness> {
  let transport: MemoryTransport | undefined;
  return {
    async open() {
      await transport?.close();
      transport = new MemoryTransport({ partitions: PARTITIONS, ackWaitMs: ACK_WAIT_MS, logger });
      return transport;
    },
    async breakStore() {
      transport!.deadLetters.unavailable = true;
    },
    async repairStore() {
      transport!.deadLetters.unavailable = false;
    },
    async cleanup() {
      await transport?.close();
      transport = undefined;
    },
    async stop() {
      await transport?.close();
    },
  };
}

deadLettersSuite('NATS', natsHarness);
deadLettersSuite('memory', memoryHarness);
