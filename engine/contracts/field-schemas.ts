import { z } from 'zod';
import { MAX_ID_LENGTH, MAX_PRICE, MAX_TS } from './bounds.js';
import { categoryPath } from './text-rules.js';

/** The small shared field schemas of the wire shapes (schemas.ts): tiers, roles, ids, prices, times. */

export const TIERS = ['regular', 'vip', 'enterprise'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

/** Rank of a tier: a user may see an item when rank(user) >= rank(item.minTier). */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

export const ROLES = ['visitor', 'member', 'marketing', 'admin', 'shop'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;

/**
 * Identifiers: printable, no whitespace, at most MAX_ID_LENGTH (so a URL path can name them); they
 * end up in NATS subjects and Redis keys.
 */
export const IdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN, 'only letters, digits and _ . : @ -');

/** IdSchema's rules without the schema (~0.1 us, no result object): for checks on the event path. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value);
}

/** A reward request's idempotency key: 1..128 printable characters without whitespace. */
export const RequestIdSchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'requestId is 1..128 printable ASCII characters without spaces');

/**
 * A category path (`home/lamps`, `Home > Lamps`), 1..200 characters: text-rules.ts, every level
 * non-blank. Items carry one; catalog and recommendation filters name one.
 */
export const CategoryPathSchema = categoryPath(200);

/** A unit price (currency units): finite, 0..MAX_PRICE. */
export const PriceSchema = z.number().finite().nonnegative().max(MAX_PRICE);

/** Epoch ms as stored: a positive integer up to MAX_TS (the gateway narrows `ts` further, see bounds.ts). */
export const EpochMsSchema = z.number().int().positive().max(MAX_TS);

/** Readable one-line message per invalid field, for `details` in error responses. */
export function zodDetails(error: z.ZodError): Record<string, string> {
  const details: Record<string, string> = {};
  for (const issue of error.issues.slice(0, 20)) {
    details[issue.path.join('.') || '(root)'] = issue.message;
  }
  return details;
}
