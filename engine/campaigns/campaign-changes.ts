import { z } from 'zod';
import { subjects } from '../contracts/subjects.js';
import type { AnnouncementChannel, Announcements } from '../platform/announcements.js';

/**
 * "This campaign was created or changed (stopped)": what an engine publishes on
 * `pulse.campaigns.changed` (core NATS, JSON) after writing it to the CampaignStore. Every engine
 * reloads its campaigns on it; a missed one is healed by the periodic reload.
 */
export const CampaignChangeSchema = z.object({ campaignId: z.string().min(1).max(128) });
export type CampaignChange = z.infer<typeof CampaignChangeSchema>;

export const campaignChangeChannel: AnnouncementChannel<CampaignChange> = {
  subject: subjects.campaignsChanged,
  schema: CampaignChangeSchema,
  what: 'campaign change',
};

export type CampaignChanges = Announcements<CampaignChange>;
