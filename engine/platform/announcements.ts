import type { z } from 'zod';
import type { Unsubscribe } from './notifier.js';

/**
 * One kind of fire-and-forget announcement on core NATS: its subject, the schema every message
 * is checked against on both ends, and a name for logs and errors ("model announcement").
 */
export interface AnnouncementChannel<T> {
  subject: string;
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  what: string;
}

/**
 * Announcements between processes (a trainer and the engines, one engine and the others). Fire and
 * forget, like core NATS: a process that is not running when something is announced must find it
 * another way (the model directory at start, a periodic reload of the campaigns).
 */
export interface Announcements<T> {
  /**
   * Publishes an announcement; resolves once the transport has sent it.
   * @throws PulseError `invalid_request` for a malformed announcement, `unavailable` when it cannot be sent.
   */
  announce(announcement: T): Promise<void>;
  /**
   * Calls `handler` with every well-formed announcement from now on, in arrival order; a malformed
   * one is logged and dropped, a throwing handler is logged. Call the returned function to stop.
   */
  subscribe(handler: (announcement: T) => void): Unsubscribe;
}
