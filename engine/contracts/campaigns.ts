import { z } from 'zod';
import { ErrorCodes, PulseError } from './errors.js';
import { IdSchema, InteractionTypeSchema, TierSchema } from './schemas.js';
import { textRule } from './text-rules.js';

/**
 * Campaigns (CONTRACT.md "Marketing"): the wire shapes, written once. Types are inferred.
 * A campaign is refused as a whole with one of the codes below; nothing of it is stored.
 */

/** Longest a campaign may run, and the furthest ahead it may start (ms): a year. */
export const MAX_CAMPAIGN_SPAN_MS = 366 * 24 * 3600 * 1000;

/** Built-in segment names; `brand_loyal:<brand>` names a brand (see logic/segments.ts). */
export const SEGMENT_NAMES = ['new', 'active', 'lapsing', 'big_spender'] as const;
export const SegmentSchema = z
  .string()
  .trim()
  .min(1)
  .max(220)
  .refine((name) => (SEGMENT_NAMES as readonly string[]).includes(name) || /^brand_loyal:.{1,200}$/.test(name), {
    message: `a segment is one of ${SEGMENT_NAMES.join(', ')} or brand_loyal:<brand>`,
  });

/**
 * Who a campaign is for: members meeting every given criterion (AND). `brands` / `categories`:
 * any listed one among the member's strongest learned affinities (logic/audience.ts). At least
 * one criterion is required (`empty_audience`): to reach everyone, list every tier.
 */
export const AudienceSchema = z
  .object({
    tiers: z.array(TierSchema).min(1).max(3).optional(),
    brands: z.array(z.string().trim().min(1).max(200)).min(1).max(50).optional(),
    categories: z.array(z.string().trim().min(1).max(200)).min(1).max(50).optional(),
    minPoints: z.number().int().min(0).optional(),
    segment: SegmentSchema.optional(),
  })
  .strict();
export type Audience = z.infer<typeof AudienceSchema>;

export const TRIGGER_TYPES = ['now', 'event', 'cart_abandoned', 'points_reached'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const NowTriggerSchema = z.object({ type: z.literal('now') }).strict();
/**
 * Fires when the member's `count`-th matching event (type, and item / category (or a category
 * below it) / brand when given) within `withinSeconds` arrives; live events only. Only
 * interactions trigger: an `impression` (cards shown) is refused as an `eventType`.
 */
export const EventTriggerSchema = z
  .object({
    type: z.literal('event'),
    eventType: InteractionTypeSchema,
    category: z.string().trim().min(1).max(200).optional(),
    brand: z.string().trim().min(1).max(200).optional(),
    itemId: IdSchema.optional(),
    count: z.number().int().min(1).max(50).default(1),
    withinSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .default(600),
  })
  .strict();
/** Items left in the cart (added, not removed, not bought) for `afterSeconds` after the last add. */
export const CartAbandonedTriggerSchema = z
  .object({
    type: z.literal('cart_abandoned'),
    afterSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600),
  })
  .strict();
/** The member's spendable points rise to `points` or past it. */
export const PointsReachedTriggerSchema = z.object({ type: z.literal('points_reached'), points: z.number().int().min(1) }).strict();

export const TriggerSchema = z.discriminatedUnion('type', [
  NowTriggerSchema,
  EventTriggerSchema,
  CartAbandonedTriggerSchema,
  PointsReachedTriggerSchema,
]);
export type Trigger = z.infer<typeof TriggerSchema>;

export const OfferSchema = z
  .object({
    title: textRule(z.string().trim().min(1).max(200)),
    message: z.string().trim().min(1).max(2000),
    /** A one-use percent coupon made per member at delivery. */
    discountPercent: z.number().int().min(1).max(100).optional(),
    /** Lifetime of that coupon from delivery (s); default 7 days. Only with discountPercent. */
    couponTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(366 * 24 * 3600)
      .optional(),
    /** Items shown with the offer and boosted into the member's lists while the campaign runs. */
    itemIds: z.array(IdSchema).min(1).max(50).optional(),
  })
  .strict();
export type Offer = z.infer<typeof OfferSchema>;

/** Default coupon lifetime of an offer (s). */
export const DEFAULT_COUPON_TTL_SECONDS = 7 * 24 * 3600;

/**
 * `POST /v1/campaigns` body, before the cross-field checks of {@link checkCampaign}. Unknown
 * trigger types, negative budgets and the rest are told apart there by code, so this schema only
 * keeps the shape loose where a dedicated code applies.
 */
export const CampaignInputSchema = z
  .object({
    name: textRule(z.string().trim().min(1).max(200)),
    audience: z.unknown(),
    trigger: z.unknown(),
    offer: OfferSchema,
    /** Epoch ms; default: at creation. */
    startsAt: z.number().int().positive().optional(),
    /** Epoch ms, after startsAt; default: never. */
    endsAt: z.number().int().positive().optional(),
    /** At most this many deliveries, over all members. */
    budget: z.unknown().optional(),
    /** At most one delivery per member per this many seconds; without it, one per member ever. */
    frequencyCapSeconds: z
      .number()
      .int()
      .min(1)
      .max(366 * 24 * 3600)
      .optional(),
  })
  .strict();

/** A campaign as accepted: the input with its defaults and checks applied. */
export interface CampaignDefinition {
  name: string;
  audience: Audience;
  trigger: Trigger;
  offer: Offer;
  startsAt: number;
  endsAt?: number;
  budget?: number;
  frequencyCapSeconds?: number;
}

export type CampaignStatus = 'scheduled' | 'running' | 'ended' | 'stopped' | 'exhausted';

/** A stored campaign (what the routes return). */
export interface Campaign extends CampaignDefinition {
  campaignId: string;
  createdAt: number;
  /** The `sub` of the marketing or admin token that created it. */
  createdBy: string;
  /** Epoch ms when DELETE stopped it. */
  stoppedAt?: number;
  /** Derived when read: from stoppedAt, startsAt, endsAt and the budget against deliveries. */
  status: CampaignStatus;
}

/** `GET /v1/campaigns/:id/stats` (the contract's four counts plus `live` and `status`). */
export interface CampaignStats {
  /** Members an offer was made to (inbox entries written), each once per promotion. */
  targeted: number;
  /** Promotions delivered to a member's socket (live or from the inbox on connect). */
  delivered: number;
  /** Promotions waiting in the inboxes of members who have not connected since. */
  queued: number;
  /** Campaign coupons redeemed. */
  redeemed: number;
  /** Of `delivered`, those pushed at once to a member online when the campaign fired. */
  live: number;
  status: CampaignStatus;
}

/** Socket.IO `promotion`, server -> client (CONTRACT.md). */
export interface Promotion {
  promotionId: string;
  campaignId: string;
  title: string;
  message: string;
  coupon?: { code: string; discountPercent: number; expiresAt: number };
  items?: string[];
}

/** A delivered promotion as a member's history shows it (`members.history`). */
export interface DeliveredPromotion {
  promotionId: string;
  campaignId: string;
  title: string;
  /** Epoch ms. */
  deliveredAt: number;
  couponCode?: string;
}

export type CampaignCheck =
  | { ok: true; definition: CampaignDefinition }
  | { ok: false; code: CampaignErrorCode; message: string; details?: Record<string, string> };

const CampaignErrorCodes = {
  invalidCampaign: ErrorCodes.invalidCampaign,
  unknownTrigger: ErrorCodes.unknownTrigger,
  invalidSchedule: ErrorCodes.invalidSchedule,
  invalidBudget: ErrorCodes.invalidBudget,
  emptyAudience: ErrorCodes.emptyAudience,
} as const;
export type CampaignErrorCode = (typeof CampaignErrorCodes)[keyof typeof CampaignErrorCodes];

/**
 * Every check of a new campaign, in one place (the gateway checks before forwarding, the engine
 * again before storing). `now` is epoch ms. Codes: `invalid_campaign` (shape, with per-field
 * details), `unknown_trigger`, `invalid_schedule` (endsAt not after startsAt, endsAt already past,
 * or a span or start beyond a year), `invalid_budget` (not a positive integer), `empty_audience`
 * (no criterion, or an audience no member can meet, such as an empty list).
 */
export function checkCampaign(input: unknown, now: number): CampaignCheck {
  const shape = CampaignInputSchema.safeParse(input);
  if (!shape.success) return invalid(CampaignErrorCodes.invalidCampaign, shape.error);
  const raw = shape.data;

  const triggerType = (raw.trigger as { type?: unknown } | null | undefined)?.type;
  if (typeof triggerType !== 'string' || !(TRIGGER_TYPES as readonly string[]).includes(triggerType)) {
    return {
      ok: false,
      code: CampaignErrorCodes.unknownTrigger,
      message: `trigger.type must be one of ${TRIGGER_TYPES.join(', ')}`,
      details: { 'trigger.type': String(triggerType) },
    };
  }
  const trigger = TriggerSchema.safeParse(raw.trigger);
  if (!trigger.success) return invalid(CampaignErrorCodes.invalidCampaign, trigger.error, 'trigger');

  if (raw.audience === undefined || raw.audience === null || (typeof raw.audience === 'object' && Object.keys(raw.audience).length === 0)) {
    return {
      ok: false,
      code: CampaignErrorCodes.emptyAudience,
      message: 'the audience names no criterion: give tiers, brands, categories, minPoints or segment',
    };
  }
  const audience = AudienceSchema.safeParse(raw.audience);
  if (!audience.success) {
    const emptyList = audience.error.issues.some((issue) => issue.code === 'too_small' && issue.type === 'array');
    return invalid(emptyList ? CampaignErrorCodes.emptyAudience : CampaignErrorCodes.invalidCampaign, audience.error, 'audience');
  }

  if (raw.budget !== undefined && !(typeof raw.budget === 'number' && Number.isInteger(raw.budget) && raw.budget > 0)) {
    return {
      ok: false,
      code: CampaignErrorCodes.invalidBudget,
      message: 'budget must be a positive integer (deliveries)',
      details: { budget: String(raw.budget) },
    };
  }
  const startsAt = raw.startsAt ?? now;
  if (raw.endsAt !== undefined && raw.endsAt <= startsAt) {
    return {
      ok: false,
      code: CampaignErrorCodes.invalidSchedule,
      message: `endsAt (${isoTime(raw.endsAt)}) must be after startsAt (${isoTime(startsAt)})`,
      details: { endsAt: `${isoTime(raw.endsAt)}: not after startsAt`, startsAt: isoTime(startsAt) },
    };
  }
  if (raw.endsAt !== undefined && raw.endsAt <= now) {
    return {
      ok: false,
      code: CampaignErrorCodes.invalidSchedule,
      message: `endsAt (${isoTime(raw.endsAt)}) is already past`,
      details: { endsAt: `${isoTime(raw.endsAt)}: already past` },
    };
  }
  if (startsAt - now > MAX_CAMPAIGN_SPAN_MS || (raw.endsAt !== undefined && raw.endsAt - startsAt > MAX_CAMPAIGN_SPAN_MS)) {
    return {
      ok: false,
      code: CampaignErrorCodes.invalidSchedule,
      message: `a campaign starts within a year and runs at most a year (startsAt ${isoTime(startsAt)}${raw.endsAt === undefined ? '' : `, endsAt ${isoTime(raw.endsAt)}`})`,
    };
  }
  if (raw.offer.couponTtlSeconds !== undefined && raw.offer.discountPercent === undefined) {
    return {
      ok: false,
      code: CampaignErrorCodes.invalidCampaign,
      message: 'offer.couponTtlSeconds needs offer.discountPercent',
      details: { 'offer.couponTtlSeconds': 'only with discountPercent' },
    };
  }

  const definition: CampaignDefinition = {
    name: raw.name,
    audience: audience.data,
    trigger: trigger.data,
    offer: raw.offer,
    startsAt,
    ...(raw.endsAt !== undefined ? { endsAt: raw.endsAt } : {}),
    ...(raw.budget !== undefined ? { budget: raw.budget as number } : {}),
    ...(raw.frequencyCapSeconds !== undefined ? { frequencyCapSeconds: raw.frequencyCapSeconds } : {}),
  };
  return { ok: true, definition };
}

/** {@link checkCampaign} that throws the refusal as a PulseError with its code and details. */
export function acceptCampaign(input: unknown, now: number): CampaignDefinition {
  const check = checkCampaign(input, now);
  if (!check.ok) throw new PulseError(check.code, check.message, check.details);
  return check.definition;
}

/**
 * The audience checks of {@link checkCampaign} alone (a preview): the audience inside a minimal
 * valid `now` campaign, so it is refused with exactly the codes a create gives (`empty_audience`,
 * `invalid_campaign` with `audience.*` details). Throws PulseError.
 */
export function acceptAudience(audience: unknown, now: number): Audience {
  return acceptCampaign({ name: 'preview', audience, trigger: { type: 'now' }, offer: { title: 'preview', message: 'preview' } }, now)
    .audience;
}

function invalid(code: CampaignErrorCode, error: z.ZodError, prefix?: string): CampaignCheck {
  const details: Record<string, string> = {};
  for (const issue of error.issues.slice(0, 20))
    details[[prefix, ...issue.path].filter((p) => p !== undefined).join('.') || '(root)'] = issue.message;
  const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
  return { ok: false, code, message: `invalid campaign: ${field}: ${problem}`, details };
}

/** The status of a campaign at `now`, given how many deliveries it has made. */
export function campaignStatus(
  campaign: Pick<Campaign, 'startsAt' | 'endsAt' | 'budget' | 'stoppedAt'>,
  delivered: number,
  now: number,
): CampaignStatus {
  if (campaign.stoppedAt !== undefined) return 'stopped';
  if (campaign.endsAt !== undefined && now >= campaign.endsAt) return 'ended';
  if (campaign.budget !== undefined && delivered >= campaign.budget) return 'exhausted';
  if (now < campaign.startsAt) return 'scheduled';
  return 'running';
}

/** An epoch-ms instant as ISO 8601 UTC text for error messages (readable in the console and the API); the number itself when out of range. */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
