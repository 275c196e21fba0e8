import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { subjects } from '../../contracts/subjects.js';
import type { Unsubscribe } from '../notifier.js';
import type { LivePresence, PresenceFollower, PresencePublisher } from '../presence-channel.js';
import { applyPresence, encodePresence, PresenceTable } from '../presence-table.js';

/** Same message size as on NATS, so chunking runs the same code in tests. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * In-process presence (tests, embedded `npm start`): gateways and engines holding this one bus.
 * Messages are encoded and decoded as on NATS and reach the followers asynchronously, in send
 * order; a join resolves once the followers have applied it.
 */
export class MemoryPresenceBus implements PresencePublisher, PresenceFollower {
  private readonly syncHandlers = new Set<() => void>();
  private table: PresenceTable | undefined;
  private closed = false;

  constructor(
    private readonly logger: Logger,
    /** Clock of the view (epoch ms); injectable so tests can pass expiries without waiting. */
    private readonly now: () => number = Date.now,
  ) {}

  async join(gatewayId: string, ttlMs: number, userIds: readonly string[]): Promise<void> {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'cannot announce presence: transport closed');
    this.send(subjects.presenceJoin, encodePresence(gatewayId, ttlMs, userIds, MAX_MESSAGE_BYTES));
    // Queued after the delivery above: resolves once it ran, as a NATS flush would.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
  }

  leave(gatewayId: string, userIds: readonly string[]): void {
    this.send(subjects.presenceLeave, encodePresence(gatewayId, 0, userIds, MAX_MESSAGE_BYTES));
  }

  beat(gatewayId: string, ttlMs: number, userIds: readonly string[]): void {
    this.send(subjects.presenceBeat, encodePresence(gatewayId, ttlMs, userIds, MAX_MESSAGE_BYTES));
  }

  onSyncRequest(handler: () => void): Unsubscribe {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'presence is closed');
    // A wrapper per call: one function subscribed twice is called twice, like two subscriptions.
    const entry = () => handler();
    this.syncHandlers.add(entry);
    return () => void this.syncHandlers.delete(entry);
  }

  follow(): LivePresence {
    const table = (this.table ??= new PresenceTable(this.now));
    const handlers = [...this.syncHandlers];
    queueMicrotask(() => {
      for (const handler of handlers) {
        try {
          handler();
        } catch (err) {
          this.logger.error({ err }, 'presence sync handler failed');
        }
      }
    });
    return table;
  }

  /** Drops the sync handlers; later messages are dropped, later joins fail. Idempotent. */
  close(): void {
    this.closed = true;
    this.syncHandlers.clear();
  }

  private send(subject: string, messages: string[]): void {
    if (this.closed) {
      this.logger.warn({ subject }, 'presence message dropped: closed');
      return;
    }
    const table = this.table;
    if (!table) return; // no engine follows: nobody receives it, as on NATS
    queueMicrotask(() => {
      for (const message of messages) applyPresence(table, subject, message, this.logger);
    });
  }
}
