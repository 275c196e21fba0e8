import { z } from 'zod';
import { AudienceSchema, OfferSchema, TriggerSchema } from '../contracts/campaigns.js';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { IdSchema } from '../contracts/schemas.js';
import type { CartTimer, PendingPromotion, ReserveRules, StoredCampaign } from './campaign-store.js';

/**
 * What RedisCampaignStore and MemoryCampaignStore agree on beyond the port: argument checks (ids
 * end up inside Redis hash tags, so both refuse the same input with PulseError `invalid_request`
 * before writing anything; limits out of range are RangeErrors, programmer errors) and the schema
 * a stored campaign is read back with.
 */

const epochMs = z.number().int().nonnegative();

/** StoredCampaign as read back from storage (JSON), checked field by field. */
export const StoredCampaignSchema: z.ZodType<StoredCampaign, z.ZodTypeDef, unknown> = z
  .object({
    campaignId: IdSchema,
    name: z.string().min(1),
    audience: AudienceSchema,
    trigger: TriggerSchema,
    offer: OfferSchema,
    startsAt: epochMs,
    endsAt: epochMs.optional(),
    budget: z.number().int().positive().optional(),
    frequencyCapSeconds: z.number().int().positive().optional(),
    createdAt: epochMs,
    createdBy: z.string(),
    stoppedAt: epochMs.optional(),
  })
  .strict();

/** The campaign in `json`, or the reason it is unreadable. */
export function parseStoredCampaign(json: string): { campaign: StoredCampaign } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { reason: 'not JSON' };
  }
  const parsed = StoredCampaignSchema.safeParse(value);
  if (parsed.success) return { campaign: parsed.data };
  const issue = parsed.error.issues[0];
  return { reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
}

function invalid(message: string): PulseError {
  return new PulseError(ErrorCodes.invalidRequest, message);
}

export function checkId(kind: 'campaignId' | 'memberId', id: string): string {
  if (!IdSchema.safeParse(id).success) throw invalid(`invalid ${kind} "${String(id)}"`);
  return id;
}

export function checkPromotionId(promotionId: string): string {
  if (typeof promotionId !== 'string' || promotionId.length < 1 || promotionId.length > 512 || /\s/.test(promotionId)) {
    throw invalid('promotionId must be 1 to 512 characters without whitespace');
  }
  return promotionId;
}

export function checkEpochMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be integer epoch ms, got ${value}`);
  return value;
}

/** A whole-number limit in 1..max. */
export function checkLimit(limit: number, max: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new RangeError(`limit must be an integer in 1..${max}, got ${limit}`);
  return limit;
}

export function checkPartition(partition: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition > 1_000_000)
    throw invalid(`partition must be a non-negative integer, got ${partition}`);
  return partition;
}

export function checkStoredCampaign(campaign: StoredCampaign): void {
  const parsed = StoredCampaignSchema.safeParse(campaign);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`invalid stored campaign: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
}

export function checkPromotion(promotion: PendingPromotion): void {
  checkPromotionId(promotion.promotionId);
  checkId('campaignId', promotion.campaignId);
  checkId('memberId', promotion.memberId);
  checkEpochMs('offeredAt', promotion.offeredAt);
  if (typeof promotion.title !== 'string' || typeof promotion.message !== 'string')
    throw invalid('a promotion needs a title and a message');
  const { coupon } = promotion;
  if (
    coupon &&
    (typeof coupon.code !== 'string' ||
      coupon.code.length === 0 ||
      !Number.isInteger(coupon.discountPercent) ||
      !Number.isInteger(coupon.ttlSeconds) ||
      coupon.ttlSeconds < 1)
  ) {
    throw invalid('a promotion coupon needs a code, an integer discountPercent and a positive ttlSeconds');
  }
}

export function checkRules(rules: ReserveRules): void {
  checkEpochMs('startsAt', rules.startsAt);
  if (rules.endsAt !== undefined) checkEpochMs('endsAt', rules.endsAt);
  if (rules.stoppedAt !== undefined) checkEpochMs('stoppedAt', rules.stoppedAt);
  if (rules.budget !== undefined && (!Number.isSafeInteger(rules.budget) || rules.budget < 1))
    throw invalid(`budget must be a positive integer, got ${rules.budget}`);
  if (rules.frequencyCapSeconds !== undefined && (!Number.isSafeInteger(rules.frequencyCapSeconds) || rules.frequencyCapSeconds < 1)) {
    throw invalid(`frequencyCapSeconds must be a positive integer, got ${rules.frequencyCapSeconds}`);
  }
}

export function checkTimer(timer: CartTimer): void {
  checkId('campaignId', timer.campaignId);
  checkId('memberId', timer.memberId);
  checkEpochMs('dueAt', timer.dueAt);
  if (typeof timer.eventId !== 'string' || timer.eventId.length < 1 || timer.eventId.length > 512)
    throw invalid('eventId must be 1 to 512 characters');
}

/** The timer's identity, as RedisCampaignStore's zset member (a space sorts before every id character). */
export function timerKey(campaignId: string, memberId: string): string {
  return `${campaignId} ${memberId}`;
}

export function checkLease(leaseMs: number): number {
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
  return leaseMs;
}

/** `a` before `b` in Redis's order of equal-score zset members (bytes; ids are ASCII). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PendingPromotion as read back from storage (JSON). */
export const PendingPromotionSchema: z.ZodType<PendingPromotion, z.ZodTypeDef, unknown> = z.object({
  promotionId: z.string().min(1),
  campaignId: IdSchema,
  memberId: IdSchema,
  offeredAt: epochMs,
  title: z.string(),
  message: z.string(),
  items: z.array(z.string()).optional(),
  coupon: z.object({ code: z.string().min(1), discountPercent: z.number().int(), ttlSeconds: z.number().int().positive() }).optional(),
});
