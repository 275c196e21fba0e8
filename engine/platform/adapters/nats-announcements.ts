import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { zodDetails } from '../../contracts/schemas.js';
import type { AnnouncementChannel, Announcements } from '../announcements.js';
import type { Unsubscribe } from '../notifier.js';
import { parseJsonObject } from '../json-object.js';

/** Validates an announcement before it is sent. @throws PulseError `invalid_request`. */
export function checkAnnouncement<T>(channel: AnnouncementChannel<T>, announcement: T): T {
  const parsed = channel.schema.safeParse(announcement);
  if (!parsed.success) throw new PulseError(ErrorCodes.invalidRequest, `invalid ${channel.what}`, zodDetails(parsed.error));
  return parsed.data;
}

/**
 * Decodes one payload and hands it to each handler; shared with the in-memory fake so both drop
 * the same malformed payloads. A throwing handler is logged and the others still run.
 */
export function deliverAnnouncement<T>(
  channel: AnnouncementChannel<T>,
  json: string,
  handlers: Iterable<(announcement: T) => void>,
  logger: Logger,
): void {
  const parsed = channel.schema.safeParse(parseJsonObject(json));
  if (!parsed.success) {
    logger.warn({ subject: channel.subject, bytes: json.length }, `malformed ${channel.what} dropped`);
    return;
  }
  for (const handler of handlers) {
    try {
      handler(parsed.data);
    } catch (err) {
      logger.error({ err, subject: channel.subject }, `${channel.what} handler failed`);
    }
  }
}

/** {@link Announcements} of one channel on its core NATS subject (JSON payloads). */
export class NatsAnnouncements<T> implements Announcements<T> {
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly channel: AnnouncementChannel<T>,
    private readonly logger: Logger,
  ) {}

  async announce(announcement: T): Promise<void> {
    const payload = JSON.stringify(checkAnnouncement(this.channel, announcement));
    try {
      this.nc.publish(this.channel.subject, payload);
      // Publish only buffers: flush so "announced" means the server has it.
      await this.nc.flush();
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, `cannot send the ${this.channel.what}: NATS unavailable`, undefined, { cause: err });
    }
  }

  subscribe(handler: (announcement: T) => void): Unsubscribe {
    const subscription = this.nc.subscribe(this.channel.subject, {
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err, subject: this.channel.subject }, `${this.channel.what} subscription failed`);
          return;
        }
        deliverAnnouncement(this.channel, msg.string(), [handler], this.logger);
      },
    });
    this.subscriptions.add(subscription);
    return () => {
      if (!this.subscriptions.delete(subscription)) return;
      unsubscribeQuietly(subscription);
    };
  }

  /** Drops every subscription. Idempotent. */
  close(): void {
    for (const subscription of this.subscriptions) unsubscribeQuietly(subscription);
    this.subscriptions.clear();
  }
}

function unsubscribeQuietly(subscription: Subscription): void {
  try {
    subscription.unsubscribe();
  } catch {
    // connection already closed
  }
}
