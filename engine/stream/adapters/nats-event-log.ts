import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { LoggedEvent } from '../../contracts/schemas.js';
import { EVENTS_STREAM, eventMessageId, partitionOf, subjects } from '../../contracts/subjects.js';
import {
  ACK_SENT,
  type AppendResult,
  type ConsumeOptions,
  type DeadLetterFailure,
  type DeliveredEvent,
  type EventLogWriter,
  type EventSource,
} from '../event-log.js';
import { BatchedAcks } from './nats-batched-acks.js';
import { cleanFailure, storeDeadLetter } from './nats-dead-letters.js';
import type { PubAcks } from '../../platform/adapters/nats-pub-acks.js';
import { checkConsumeArgs, decodeStoredEvent, ensurePartitionConsumer, keepUnsettledAlive } from './nats-partition-consumer.js';

export { checkConsumeArgs, decodeStoredEvent, partitionConsumerName } from './nats-partition-consumer.js';

export interface NatsEventLogOptions {
  partitions: number;
  /** JetStream ack wait of the partition consumers (ms). */
  ackWaitMs: number;
  /** How long an append (or a dead letter's store) waits for its PubAck before failing as unavailable (ms). */
  publishTimeoutMs: number;
}

/**
 * EVENTS on JetStream. Appends carry the message id `userId/eventId`, so the stream drops a
 * repeat within its duplicate window. Each partition is read through one durable pull consumer
 * (`engine-p<partition>`, explicit acks) shared by whichever engine holds the partition.
 */
export class NatsEventLog implements EventLogWriter, EventSource {
  readonly partitions: number;
  private readonly consumers = new Set<AbortController>();
  private readonly running = new Set<Promise<void>>();
  /** Messages terminated because they did not decode, since start. */
  undecodable = 0;
  /** Where deliveries' acks go: one write per burst (nats-batched-acks.ts). */
  readonly batchedAcks: BatchedAcks;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsEventLogOptions,
    private readonly logger: Logger,
    /** Where appends await their PubAck (one reply subscription for all: nats-pub-acks.ts). */
    private readonly acks: Pick<PubAcks, 'publish'>,
  ) {
    this.partitions = options.partitions;
    this.batchedAcks = new BatchedAcks((err, count) =>
      logger.warn({ err, count }, 'acks not sent; their events come back as duplicates after the ack wait'),
    );
  }

  async append(event: LoggedEvent): Promise<AppendResult> {
    const partition = partitionOf(event.userId, this.partitions);
    try {
      // Many appends may be in flight: each waits for its own PubAck.
      const ack = await this.acks.publish(
        subjects.events(partition),
        JSON.stringify(event),
        eventMessageId(event.userId, event.id),
        this.options.publishTimeoutMs,
      );
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, 'event log unavailable', undefined, { cause: err });
    }
  }

  async consume(partition: number, handler: (batch: DeliveredEvent[]) => Promise<void>, options: ConsumeOptions): Promise<void> {
    checkConsumeArgs(partition, this.partitions, options.batchSize);
    if (options.signal.aborted) return;
    // Own controller: close() stops every consumer without touching the callers' signals.
    const stop = new AbortController();
    const forward = () => stop.abort();
    options.signal.addEventListener('abort', forward, { once: true });
    this.consumers.add(stop);
    const run = this.run(partition, handler, options.batchSize, stop.signal);
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
      this.consumers.delete(stop);
      options.signal.removeEventListener('abort', forward);
    }
  }

  private async run(
    partition: number,
    handler: (batch: DeliveredEvent[]) => Promise<void>,
    batchSize: number,
    signal: AbortSignal,
  ): Promise<void> {
    const name = await this.ensureConsumer(partition, batchSize);
    if (signal.aborted) return;
    // Messages arrive by callback into `queue`; the loop hands them over in batches, one batch at a
    // time. The server stops delivering at max_ack_pending, which bounds the queue.
    const queue: JsMsg[] = [];
    // Every message received and not yet acked, naked or terminated, with when it last told the
    // server it is still being worked on. A bulk backlog sits in the engine's queues longer than
    // the ack wait; without `working()` JetStream would redeliver all of it (counted once by the
    // markers, but done again and again).
    const unsettled = new Map<JsMsg, number>();
    const keepAlive = this.keepAlive(unsettled, signal);
    let wake: (() => void) | undefined;
    const poke = () => {
      wake?.();
      wake = undefined;
    };
    let messages: ConsumerMessages;
    try {
      const consumer = await this.js.consumers.get(EVENTS_STREAM, name);
      // Pulls of up to batchSize, refilled as they are used up; an idle pull waits at the server,
      // so a new event is delivered at once (no polling delay).
      messages = await consumer.consume({
        max_messages: batchSize,
        callback: (msg) => {
          unsettled.set(msg, Date.now());
          queue.push(msg);
          poke();
        },
      });
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, `event consumer for partition ${partition} unavailable`, undefined, { cause: err });
    }
    void this.watchStatus(partition, messages);
    let ended = false;
    let endError: Error | undefined;
    void messages.closed().then((err) => {
      ended = true;
      endError = err || undefined;
      poke();
    });
    const onAbort = () => {
      messages.stop();
      poke();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (queue.length === 0) {
          if (ended) break;
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const taken = queue.splice(0, batchSize);
        const batch = this.decodeBatch(partition, taken, unsettled);
        if (batch.length === 0) continue;
        try {
          await handler(batch);
        } catch (err) {
          // Unacked events stay pending and come back after the ack wait (no more `working()`).
          for (const msg of taken) unsettled.delete(msg);
          this.logger.error({ err, partition, size: batch.length }, 'event batch handler failed');
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearInterval(keepAlive);
      messages.stop();
    }
    // Messages still queued were never handed over: they stay pending and come back after the
    // ack wait, in order with the rest (a nak now would send them ahead of unacked earlier ones).
    if (!signal.aborted) {
      throw new PulseError(ErrorCodes.unavailable, `event consumer for partition ${partition} stopped`, undefined, { cause: endError });
    }
  }

  /** Logs what the client retries on its own (the consumer keeps going), so operators see it. */
  private async watchStatus(partition: number, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const status of messages.status()) {
        if (
          status.type === 'heartbeats_missed' ||
          status.type === 'consumer_deleted' ||
          status.type === 'consumer_not_found' ||
          status.type === 'stream_not_found'
        ) {
          this.logger.warn({ partition, status }, 'event consumer trouble; retrying');
        }
      }
    } catch {
      // status stream ended with the consumer
    }
  }

  private keepAlive(unsettled: Map<JsMsg, number>, signal: AbortSignal): NodeJS.Timeout {
    return keepUnsettledAlive(unsettled, this.options.ackWaitMs, signal);
  }

  private decodeBatch(partition: number, msgs: JsMsg[], unsettled: Map<JsMsg, number>): DeliveredEvent[] {
    const batch: DeliveredEvent[] = [];
    for (const msg of msgs) {
      const event = decodeStoredEvent(msg.string());
      if (!event) {
        this.undecodable++;
        this.logger.warn({ partition, seq: msg.seq, bytes: msg.data.length }, 'undecodable event terminated');
        msg.term(); // no reason text: servers before 2.10 ignore '+TERM <reason>'
        unsettled.delete(msg);
        continue;
      }
      batch.push(new NatsDelivery(this, msg, event, partition, unsettled));
    }
    return batch;
  }

  /** A nak (after `delayMs`); a connection gone is logged: the event comes back after the ack wait anyway. */
  nak(msg: JsMsg, partition: number, delayMs: number | undefined): void {
    try {
      msg.nak(delayMs);
    } catch (err) {
      this.logger.warn({ err, partition, seq: msg.seq }, 'nak not sent');
    }
  }

  /**
   * Stores the message in DEADLETTERS (payload as is, the failure in headers), then acks it here.
   * When the store fails, the message is no longer kept alive: it stays pending and comes back
   * after the ack wait (or sooner, if the caller naks it), as in the memory log.
   */
  async deadLetter(
    msg: JsMsg,
    partition: number,
    event: LoggedEvent,
    failure: DeadLetterFailure,
    unsettled: Map<JsMsg, number>,
  ): Promise<void> {
    try {
      await storeDeadLetter(this.js, {
        payload: msg.data,
        partition,
        originalSeq: msg.seq,
        failure,
        timeoutMs: this.options.publishTimeoutMs,
      });
    } catch (err) {
      unsettled.delete(msg);
      // The caller (the engine) logs the failure; the event stays pending.
      this.logger.debug({ err, partition, seq: msg.seq }, 'dead letter not stored');
      throw err;
    }
    try {
      msg.ack();
    } catch (err) {
      // Redelivered after the ack wait; dead-lettered again, the store drops it as a duplicate.
      this.logger.warn({ err, partition, seq: msg.seq }, 'ack of a dead-lettered event not sent');
    }
    unsettled.delete(msg);
    // The engine logs (warn) and counts each dead letter; this is where to find it in the stream.
    this.logger.debug(
      { partition, seq: msg.seq, userId: event.userId, eventId: event.id, code: cleanFailure(failure).code },
      'dead letter stored',
    );
  }

  /** Creates the partition's durable consumer, or brings ack wait / max ack pending up to date. */
  private ensureConsumer(partition: number, batchSize: number): Promise<string> {
    return ensurePartitionConsumer(this.jsm, partition, batchSize, this.options.ackWaitMs, this.logger);
  }

  /** Stops every consumer and waits for their in-flight batches. Idempotent. */
  async close(): Promise<void> {
    for (const consumer of [...this.consumers]) consumer.abort();
    await Promise.allSettled([...this.running]);
  }
}

/**
 * One delivered message: a class, its methods shared, rather than an object with three closures
 * (~0.3 KB less garbage per event at the event path's rate).
 */
class NatsDelivery implements DeliveredEvent {
  readonly deliveryCount: number;

  constructor(
    private readonly log: NatsEventLog,
    private readonly msg: JsMsg,
    readonly event: LoggedEvent,
    readonly partition: number,
    private readonly unsettled: Map<JsMsg, number>,
  ) {
    this.deliveryCount = msg.info.deliveryCount;
  }

  get seq(): number {
    return this.msg.seq;
  }

  get redelivered(): boolean {
    return this.deliveryCount > 1;
  }

  ack(): Promise<void> {
    try {
      this.log.batchedAcks.ack(this.msg);
      this.unsettled.delete(this.msg);
      return ACK_SENT;
    } catch (err) {
      return Promise.reject(new PulseError(ErrorCodes.unavailable, 'event log unavailable: ack not sent', undefined, { cause: err }));
    }
  }

  nak(delayMs?: number): void {
    this.unsettled.delete(this.msg);
    this.log.nak(this.msg, this.partition, delayMs);
  }

  deadLetter(failure: DeadLetterFailure): Promise<void> {
    return this.log.deadLetter(this.msg, this.partition, this.event, failure, this.unsettled);
  }
}
