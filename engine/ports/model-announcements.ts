import { z } from 'zod';
import type { Unsubscribe } from './notifier.js';

/**
 * "A new model is ready": what a trainer publishes on `pulse.model.published` (core NATS, JSON).
 * `dir` is the model directory; engines accept it only inside their own `DATA_DIR/models`
 * (an absolute path there, or a path relative to it such as the bare version).
 */
export const ModelAnnouncementSchema = z.object({
  version: z.string().min(1).max(200),
  dir: z.string().min(1).max(4096),
});
export type ModelAnnouncement = z.infer<typeof ModelAnnouncementSchema>;

/**
 * Model announcements between the trainer and every running engine. Fire and forget, like core
 * NATS: an engine that is not running when a model is announced finds it at start instead (it
 * loads the newest complete model under `DATA_DIR/models`).
 */
export interface ModelAnnouncements {
  /**
   * Publishes an announcement; resolves once the transport has sent it.
   * @throws PulseError `invalid_request` for a malformed announcement, `unavailable` when it cannot be sent.
   */
  announce(announcement: ModelAnnouncement): Promise<void>;
  /**
   * Calls `handler` with every well-formed announcement from now on, in arrival order; a malformed
   * one is logged and dropped, a throwing handler is logged. Call the returned function to stop.
   */
  subscribe(handler: (announcement: ModelAnnouncement) => void): Unsubscribe;
}
