import { env } from './contracts/env.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from './shoppers/logic/affinity.js';
import { DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS } from './recommend/logic/complements.js';
import { DEFAULT_SEGMENT_THRESHOLDS } from './shoppers/logic/segments.js';

/** The engine's variables for how a shopper's signals fade and group: half-lives, sessions, segments (part of engineConfigSpec, config.ts). */
export const signalsConfigSpec = {
  tasteHalfLifeSeconds: env.number(
    'TASTE_HALF_LIFE_SECONDS',
    6 * 3600,
    "Half-life of a user vector's past (s): older interactions weigh less.",
    1,
  ),
  popularityHalfLifeSeconds: env.number('POPULARITY_HALF_LIFE_SECONDS', 7 * 24 * 3600, 'Half-life of item popularity (s).', 60),
  sessionGapSeconds: env.int(
    'SESSION_GAP_SECONDS',
    1800,
    'Two interactions closer than this count as one session for co-visitation (s).',
    1,
  ),
  boughtAfterWindowSeconds: env.int(
    'BOUGHT_AFTER_WINDOW_SECONDS',
    DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS,
    'A purchase this long (s) or less after an earlier one by the same shopper counts as bought after it (complements).',
    60,
    3650 * 24 * 3600,
  ),
  affinityHalfLifeSeconds: env.number(
    'AFFINITY_HALF_LIFE_SECONDS',
    DEFAULT_AFFINITY_HALF_LIFE_SECONDS,
    "Half-life of a shopper's brand and category affinity (s). All engines must use the same value.",
    60,
  ),
  segmentNewDays: env.int(
    'SEGMENT_NEW_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.newDays,
    'Segment `new`: member created (or first seen) less than this many days ago.',
    1,
    3650,
  ),
  segmentActiveDays: env.int(
    'SEGMENT_ACTIVE_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.activeDays,
    'Segment `active`: an event within this many days.',
    1,
    3650,
  ),
  segmentLapsingMinDays: env.int(
    'SEGMENT_LAPSING_MIN_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.lapsingMinDays,
    'Segment `lapsing`: last purchase at least this many days ago (below SEGMENT_LAPSING_MAX_DAYS).',
    1,
    3650,
  ),
  segmentLapsingMaxDays: env.int(
    'SEGMENT_LAPSING_MAX_DAYS',
    DEFAULT_SEGMENT_THRESHOLDS.lapsingMaxDays,
    'Segment `lapsing`: last purchase at most this many days ago.',
    1,
    3650,
  ),
  segmentBigSpender: env.number(
    'SEGMENT_BIG_SPENDER',
    DEFAULT_SEGMENT_THRESHOLDS.bigSpender,
    'Segment `big_spender`: net spend (orders minus cancellations, currency units) at least this.',
    0,
  ),
  segmentBrandLoyalShare: env.number(
    'SEGMENT_BRAND_LOYAL_SHARE',
    DEFAULT_SEGMENT_THRESHOLDS.brandLoyalShare,
    'Segment `brand_loyal:<brand>`: share of the positive brand affinity one brand holds at least (0..1].',
    0.01,
    1,
  ),
  segmentBrandLoyalMinEvents: env.int(
    'SEGMENT_BRAND_LOYAL_MIN_EVENTS',
    DEFAULT_SEGMENT_THRESHOLDS.brandLoyalMinEvents,
    'Segment `brand_loyal:<brand>`: events with that brand at least.',
    1,
    1_000_000,
  ),
};
