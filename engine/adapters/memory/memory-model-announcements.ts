import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { ModelAnnouncement, ModelAnnouncements } from '../../ports/model-announcements.js';
import type { Unsubscribe } from '../../ports/notifier.js';
import { checkAnnouncement, deliverAnnouncement } from '../nats-model-announcements.js';

type Handler = (announcement: ModelAnnouncement) => void;

/**
 * In-process {@link ModelAnnouncements}: an announcement reaches every handler subscribed at that
 * moment, asynchronously and in order, encoded and decoded as on NATS.
 */
export class MemoryModelAnnouncements implements ModelAnnouncements {
  private readonly handlers = new Set<Handler>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  async announce(announcement: ModelAnnouncement): Promise<void> {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'cannot announce the model: transport closed');
    const json = JSON.stringify(checkAnnouncement(announcement));
    const handlers = [...this.handlers];
    queueMicrotask(() => deliverAnnouncement(json, handlers, this.logger));
  }

  subscribe(handler: Handler): Unsubscribe {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'model announcements are closed');
    // A wrapper per call: one function subscribed twice is called twice, like two subscriptions.
    const entry: Handler = (announcement) => handler(announcement);
    this.handlers.add(entry);
    return () => void this.handlers.delete(entry);
  }

  /** Drops every subscription; later announcements fail. Idempotent. */
  close(): void {
    this.closed = true;
    this.handlers.clear();
  }
}
