/**
 * The transport conformance suite's setup: a harness per transport (NATS against its own
 * nats-server, and the in-memory fake), `describeTransports` to run one set of tests against
 * both, and the small helpers the tests share.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { CATALOG_STREAM, EVENTS_STREAM, partitionOf } from '../../engine/contracts/subjects.js';
import type { CatalogLog } from '../../engine/catalog/catalog-log.js';
import type { DeliveredEvent, EventLogWriter, EventSource } from '../../engine/stream/event-log.js';
import type { Notifier, PushSubscriber } from '../../engine/platform/notifier.js';
import type { RpcClient, RpcServer } from '../../engine/platform/rpc.js';
import { captureLogger } from './capture-logger.js';
import { startNats, type TestServer } from './servers.js';

/** What both transports offer; the suite sees nothing else. */
export interface Transport {
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

export interface TransportHarness {
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

/** What the transports logged at warn and above since the current test began. */
export const { logger, lines: logLines } = captureLogger();

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function usersIn(partition: number, partitions: number, count: number, prefix = 'u'): string[] {
  const users: string[] = [];
  for (let i = 0; users.length < count; i++) if (partitionOf(`${prefix}${i}`, partitions) === partition) users.push(`${prefix}${i}`);
  return users;
}

export function viewEvent(userId: string, id: string, itemId = 'item-1'): StoredEvent {
  const now = Date.now();
  return { type: 'view', id, userId, itemId, ts: now, receivedAt: now };
}

export function item(itemId: string, title = `Item ${itemId}`): Item {
  return { itemId, title, category: 'shoes', price: 10 };
}

/** Runs consume() in the background and records what arrives. `ack` decides per delivery. */
export function startConsumer(
  t: Transport,
  partition: number,
  options: { batchSize?: number; ack?: (d: DeliveredEvent) => boolean; onBatch?: () => Promise<void> } = {},
) {
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

/** Registers `body` as a conformance suite of each transport: NATS and memory. */
export function describeTransports(body: (harness: TransportHarness) => void): void {
  describeTransport('NATS', natsHarness, body);
  describeTransport('memory', memoryHarness, body);
}

function describeTransport(name: string, makeHarness: () => Promise<TransportHarness>, body: (harness: TransportHarness) => void): void {
  describe(`transport conformance: ${name}`, () => {
    // Filled in once the harness is up; the tests hold this one object from the start.
    const harness = {} as TransportHarness;
    beforeAll(async () => {
      Object.assign(harness, await makeHarness());
    });
    afterAll(async () => harness.stop?.());
    beforeEach(async () => {
      logLines.length = 0;
      await harness.reset({ partitions: 2, ackWaitMs: 500 });
    });
    afterEach(async () => harness.cleanup());
    body(harness);
  });
}

async function natsHarness(): Promise<TransportHarness> {
  const server: TestServer = await startNats();
  const admin: NatsConnection = await connect({ servers: server.url, noAsyncTraces: true });
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
}

async function memoryHarness(): Promise<TransportHarness> {
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
}
