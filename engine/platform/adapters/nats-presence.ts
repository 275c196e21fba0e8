import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { subjects } from '../../contracts/subjects.js';
import type { Unsubscribe } from '../notifier.js';
import type { LivePresence, PresenceFollower, PresencePublisher } from '../presence-channel.js';
import { applyPresence, encodePresence, PresenceTable } from '../presence-table.js';

/**
 * Largest presence message (bytes): below any server's max_payload (1 MiB by default), and small
 * enough that a beat of 100k users (~1.3 MB) goes as ~20 messages that never hold up a push for long.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Presence on core NATS (subjects.presence*), both sides on one connection. Costs: a join is one
 * publish plus one flush round trip (joins of one turn may share it: the caller batches); a leave
 * or a beat publishes without waiting; an engine receives every gateway's messages (O(present users)
 * per beat interval) into its {@link PresenceTable}.
 */
export class NatsPresence implements PresencePublisher, PresenceFollower {
  private readonly subscriptions = new Set<Subscription>();
  private table: PresenceTable | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  async join(gatewayId: string, ttlMs: number, userIds: readonly string[]): Promise<void> {
    try {
      for (const message of encodePresence(gatewayId, ttlMs, userIds, this.maxBytes())) this.nc.publish(subjects.presenceJoin, message);
      // Publish only buffers: flushed, the server has routed the join before anything we send next.
      await this.nc.flush();
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, 'cannot announce presence: NATS unavailable', undefined, { cause: err });
    }
  }

  leave(gatewayId: string, userIds: readonly string[]): void {
    this.publish(subjects.presenceLeave, encodePresence(gatewayId, 0, userIds, this.maxBytes()));
  }

  beat(gatewayId: string, ttlMs: number, userIds: readonly string[]): void {
    this.publish(subjects.presenceBeat, encodePresence(gatewayId, ttlMs, userIds, this.maxBytes()));
  }

  onSyncRequest(handler: () => void): Unsubscribe {
    return this.subscribe(subjects.presenceSync, () => {
      try {
        handler();
      } catch (err) {
        this.logger.error({ err }, 'presence sync handler failed');
      }
    });
  }

  follow(): LivePresence {
    let table = this.table;
    if (!table) {
      const created = new PresenceTable();
      // One wildcard subscription, so joins, leaves and beats apply in the order each gateway sent them.
      this.subscribe(subjects.presenceAll, (subject, text) => applyPresence(created, subject, text, this.logger));
      this.table = table = created;
    }
    // Sent after the SUB on the same connection: every answering beat reaches the table.
    this.publish(subjects.presenceSync, ['']);
    return table;
  }

  /** Drops every subscription (the view keeps its last state). Idempotent. */
  close(): void {
    for (const subscription of this.subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {
        // connection already closed
      }
    }
    this.subscriptions.clear();
  }

  private maxBytes(): number {
    return Math.min(MAX_MESSAGE_BYTES, this.nc.info?.max_payload ?? MAX_MESSAGE_BYTES);
  }

  private publish(subject: string, messages: string[]): void {
    try {
      for (const message of messages) this.nc.publish(subject, message);
    } catch (err) {
      // Closed connection: presence is best effort, entries expire and the next beat repairs it.
      this.logger.warn({ err, subject }, 'presence message dropped');
    }
  }

  private subscribe(subject: string, onMessage: (subject: string, text: string) => void): Unsubscribe {
    const subscription = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) this.logger.error({ err, subject }, 'presence subscription failed');
        else onMessage(msg.subject, msg.string());
      },
    });
    this.subscriptions.add(subscription);
    return () => {
      if (!this.subscriptions.delete(subscription)) return;
      try {
        subscription.unsubscribe();
      } catch {
        // connection already closed
      }
    };
  }
}
