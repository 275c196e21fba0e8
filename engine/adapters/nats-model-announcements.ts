import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { zodDetails } from '../contracts/schemas.js';
import { subjects } from '../contracts/subjects.js';
import { ModelAnnouncementSchema, type ModelAnnouncement, type ModelAnnouncements } from '../ports/model-announcements.js';
import type { Unsubscribe } from '../ports/notifier.js';
import { parseJsonObject } from './json-object.js';

/** Validates an announcement before it is sent. @throws PulseError `invalid_request`. */
export function checkAnnouncement(announcement: ModelAnnouncement): ModelAnnouncement {
  const parsed = ModelAnnouncementSchema.safeParse(announcement);
  if (!parsed.success) throw new PulseError(ErrorCodes.invalidRequest, 'invalid model announcement', zodDetails(parsed.error));
  return parsed.data;
}

/**
 * Decodes one payload and hands it to each handler; shared with the in-memory fake so both drop
 * the same malformed payloads. A throwing handler is logged and the others still run.
 */
export function deliverAnnouncement(json: string, handlers: Iterable<(announcement: ModelAnnouncement) => void>, logger: Logger): void {
  const parsed = ModelAnnouncementSchema.safeParse(parseJsonObject(json));
  if (!parsed.success) {
    logger.warn({ subject: subjects.modelPublished, bytes: json.length }, 'malformed model announcement dropped');
    return;
  }
  for (const handler of handlers) {
    try {
      handler(parsed.data);
    } catch (err) {
      logger.error({ err }, 'model announcement handler failed');
    }
  }
}

/** {@link ModelAnnouncements} on core NATS subject `pulse.model.published`. */
export class NatsModelAnnouncements implements ModelAnnouncements {
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  async announce(announcement: ModelAnnouncement): Promise<void> {
    const payload = JSON.stringify(checkAnnouncement(announcement));
    try {
      this.nc.publish(subjects.modelPublished, payload);
      // Publish only buffers: flush so "announced" means the server has it.
      await this.nc.flush();
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, 'cannot announce the model: NATS unavailable', undefined, { cause: err });
    }
  }

  subscribe(handler: (announcement: ModelAnnouncement) => void): Unsubscribe {
    const subscription = this.nc.subscribe(subjects.modelPublished, {
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err }, 'model announcement subscription failed');
          return;
        }
        deliverAnnouncement(msg.string(), [handler], this.logger);
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
