import { z } from 'zod';
import { subjects } from '../contracts/subjects.js';
import type { AnnouncementChannel, Announcements } from '../platform/announcements.js';

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

export const modelAnnouncementChannel: AnnouncementChannel<ModelAnnouncement> = {
  subject: subjects.modelPublished,
  schema: ModelAnnouncementSchema,
  what: 'model announcement',
};

/**
 * Model announcements between the trainer and every running engine. An engine that is not running
 * when a model is announced finds it at start instead (it loads the newest complete model under
 * `DATA_DIR/models`).
 */
export type ModelAnnouncements = Announcements<ModelAnnouncement>;
