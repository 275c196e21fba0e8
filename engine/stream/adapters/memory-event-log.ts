import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { LoggedEvent } from '../../contracts/schemas.js';
import { eventMessageId, partitionOf } from '../../contracts/subjects.js';
import type { AppendResult, ConsumeOptions, DeliveredEvent, EventLogWriter, EventSource } from '../event-log.js';
import { checkConsumeArgs, decodeStoredEvent } from './nats-event-log.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';

export interface MemoryEventLogOptions {
  partitions: number;
  /** An unacked delivery is redelivered after this (ms). */
  ackWaitMs: number;
  /** Same-id appends within this window count once (ms). */
  duplicateWindowMs: number;
}

/** Where a stored message is: `ready` to deliver (at `dueAt`), `pending` an ack (redelivered at `dueAt`), or `done`. */
type EntryState = 'ready' | 'pending' | 'done';

interface Entry {
  seq: number;
  /** The payload as the stream holds it: JSON text, decoded at delivery like the NATS adapter does. */
  data: string;
  state: EntryState;
  /** Epoch ms: ready -> earliest delivery (nak delay); pending -> redelivery time. */
  dueAt: number;
  deliveries: number;
}

/** One partition: entries in stream order; everything before `floor` is done. */
class PartitionLog {
  entries: Entry[] = [];
  floor = 0;
  pending = 0;
  private readonly waiters = new Set<() => void>();

  /** Wakes every waiting consumer (asynchronously: never inside the caller's stack). */
  notify(): void {
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    queueMicrotask(() => waiters.forEach((wake) => wake()));
  }

  /** Resolves on notify, at `untilMs` (epoch ms, if finite) or on abort. */
  wait(untilMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (Number.isFinite(untilMs)) timer = setTimeout(done, Math.max(0, untilMs - Date.now()));
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  settle(entry: Entry): void {
    if (entry.state === 'done') return;
    if (entry.state === 'pending') this.pending--;
    entry.state = 'done';
    while (this.floor < this.entries.length && this.entries[this.floor]!.state === 'done') this.floor++;
    // Drop the done prefix now and then, so a long-running embedded log does not grow without bound.
    if (this.floor > 4096 && this.floor * 2 > this.entries.length) {
      this.entries.splice(0, this.floor);
      this.floor = 0;
    }
  }
}

/**
 * In-memory EVENTS with JetStream's semantics: a stream-wide sequence, dedupe by
 * `userId/eventId` within a window, per partition one shared durable cursor with explicit acks,
 * redelivery after the ack wait (to whichever consume call runs next), max ack pending.
 */
export class MemoryEventLog implements EventLogWriter, EventSource {
  readonly partitions: number;
  private readonly logs: PartitionLog[];
  private seq = 0;
  /** msgId -> original seq and append time (epoch ms), in append order for expiry. */
  private readonly recentIds = new Map<string, { seq: number; at: number }>();
  private readonly running = new Set<Promise<void>>();
  /** Aborted by close(): no new appends or consumers. */
  private readonly stop = new AbortController();
  /** Set once close() finished: in-flight batches could still ack until then. */
  private closed = false;
  undecodable = 0;
  /** Where `deadLetter` puts events; its replays come back through this log. */
  readonly deadLetters: MemoryDeadLetters;

  constructor(
    private readonly options: MemoryEventLogOptions,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1)
      throw new RangeError(`partitions must be a positive integer, got ${options.partitions}`);
    this.partitions = options.partitions;
    this.logs = Array.from({ length: options.partitions }, () => new PartitionLog());
    this.deadLetters = new MemoryDeadLetters(options.partitions, (partition, data, msgId) => this.appendOnce(partition, data, msgId).seq);
  }

  async append(event: LoggedEvent): Promise<AppendResult> {
    return this.appendOnce(partitionOf(event.userId, this.partitions), JSON.stringify(event), eventMessageId(event.userId, event.id));
  }

  /** Stores `data` unless `msgId` was stored within the duplicate window, as JetStream does. */
  private appendOnce(partition: number, data: string, msgId: string): AppendResult {
    if (this.stop.signal.aborted) throw new PulseError(ErrorCodes.unavailable, 'event log unavailable: closed');
    const now = Date.now();
    this.expireIds(now);
    const seen = this.recentIds.get(msgId);
    if (seen) return { seq: seen.seq, duplicate: true };
    const seq = this.store(partition, data);
    this.recentIds.set(msgId, { seq, at: now });
    return { seq, duplicate: false };
  }

  /** Test hook: stores any text in a partition, as a foreign publisher to `events.<p>` could. */
  appendRaw(partition: number, data: string): number {
    checkConsumeArgs(partition, this.partitions, 1);
    return this.store(partition, data);
  }

  private store(partition: number, data: string): number {
    const log = this.logs[partition]!;
    const seq = ++this.seq;
    log.entries.push({ seq, data, state: 'ready', dueAt: 0, deliveries: 0 });
    log.notify();
    return seq;
  }

  /** Map iteration order is insertion order, so the oldest ids come first. */
  private expireIds(now: number): void {
    for (const [id, { at }] of this.recentIds) {
      if (now - at < this.options.duplicateWindowMs) break;
      this.recentIds.delete(id);
    }
  }

  async consume(partition: number, handler: (batch: DeliveredEvent[]) => Promise<void>, options: ConsumeOptions): Promise<void> {
    checkConsumeArgs(partition, this.partitions, options.batchSize);
    if (options.signal.aborted || this.stop.signal.aborted) return;
    const signal = AbortSignal.any([options.signal, this.stop.signal]);
    const run = this.run(partition, handler, options.batchSize, signal);
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }

  private async run(
    partition: number,
    handler: (batch: DeliveredEvent[]) => Promise<void>,
    batchSize: number,
    signal: AbortSignal,
  ): Promise<void> {
    const log = this.logs[partition]!;
    // Like the NATS consumer config: the server holds back deliveries beyond this many unacked.
    const maxAckPending = batchSize * 4;
    // Hand over asynchronously, as a network consumer would.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (!signal.aborted) {
      const { taken, nextDueAt } = this.take(log, batchSize, maxAckPending);
      const batch = this.decode(partition, log, taken);
      if (batch.length > 0) {
        try {
          await handler(batch);
        } catch (err) {
          this.logger.error({ err, partition, size: batch.length }, 'event batch handler failed');
        }
      } else if (taken.length === 0) {
        await log.wait(nextDueAt, signal);
      }
    }
  }

  /** Up to `max` deliverable entries in stream order: new ones, naked ones due, and expired pending ones. */
  private take(log: PartitionLog, max: number, maxAckPending: number): { taken: Entry[]; nextDueAt: number } {
    const now = Date.now();
    const taken: Entry[] = [];
    let nextDueAt = Infinity;
    for (let i = log.floor; i < log.entries.length && taken.length < max; i++) {
      const entry = log.entries[i]!;
      if (entry.state === 'done') continue;
      if (entry.dueAt > now) {
        nextDueAt = Math.min(nextDueAt, entry.dueAt);
        continue;
      }
      if (entry.state === 'ready') {
        if (log.pending >= maxAckPending) continue; // an expired pending one may still go out
        log.pending++;
      }
      entry.state = 'pending';
      entry.deliveries++;
      entry.dueAt = now + this.options.ackWaitMs;
      taken.push(entry);
    }
    return { taken, nextDueAt };
  }

  private decode(partition: number, log: PartitionLog, entries: Entry[]): DeliveredEvent[] {
    const batch: DeliveredEvent[] = [];
    for (const entry of entries) {
      const event = decodeStoredEvent(entry.data);
      if (!event) {
        this.undecodable++;
        this.logger.warn({ partition, seq: entry.seq, bytes: entry.data.length }, 'undecodable event terminated');
        log.settle(entry);
        continue;
      }
      batch.push({
        event,
        partition,
        seq: entry.seq,
        redelivered: entry.deliveries > 1,
        deliveryCount: entry.deliveries,
        ack: async () => {
          if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'event log unavailable: ack not sent');
          log.settle(entry);
          log.notify();
        },
        nak: (delayMs = 0) => {
          if (entry.state !== 'pending' || this.closed) return;
          entry.state = 'ready';
          entry.dueAt = Date.now() + Math.max(0, delayMs);
          log.pending--;
          log.notify();
        },
        deadLetter: async (failure) => {
          if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'event log unavailable: dead letter not stored');
          if (entry.state === 'done') return; // dead-lettered (or acked) already: stored once
          this.deadLetters.store({ partition, data: entry.data, failure, originalSeq: entry.seq });
          log.settle(entry);
          log.notify();
        },
      });
    }
    return batch;
  }

  /** Stops every consumer (in-flight batches finish first); later calls fail as unavailable. Idempotent. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.running]);
    this.closed = true;
  }
}
