import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { AnnouncementChannel, Announcements } from '../announcements.js';
import type { Unsubscribe } from '../notifier.js';
import { checkAnnouncement, deliverAnnouncement } from './nats-announcements.js';

/**
 * In-process {@link Announcements} of one channel: an announcement reaches every handler
 * subscribed at that moment, asynchronously and in order, encoded and decoded as on NATS.
 */
export class MemoryAnnouncements<T> implements Announcements<T> {
  private readonly handlers = new Set<(announcement: T) => void>();
  private closed = false;

  constructor(
    private readonly channel: AnnouncementChannel<T>,
    private readonly logger: Logger,
  ) {}

  async announce(announcement: T): Promise<void> {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, `cannot send the ${this.channel.what}: transport closed`);
    const json = JSON.stringify(checkAnnouncement(this.channel, announcement));
    const handlers = [...this.handlers];
    queueMicrotask(() => deliverAnnouncement(this.channel, json, handlers, this.logger));
  }

  subscribe(handler: (announcement: T) => void): Unsubscribe {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, `${this.channel.what}s are closed`);
    // A wrapper per call: one function subscribed twice is called twice, like two subscriptions.
    const entry = (announcement: T) => handler(announcement);
    this.handlers.add(entry);
    return () => void this.handlers.delete(entry);
  }

  /** Drops every subscription; later announcements fail. Idempotent. */
  close(): void {
    this.closed = true;
    this.handlers.clear();
  }
}
