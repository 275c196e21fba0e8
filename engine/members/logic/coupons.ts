import { z } from 'zod';

/**
 * Coupon codes and the reward catalogue (pure).
 * Codes: 12 characters from a 32-character alphabet without look-alikes (no 0/O, 1/I), drawn from
 * crypto random bytes by the caller (256 is a multiple of 32, so `byte % 32` has no bias):
 * 32^12 = 2^60 codes, so a collision is a freak the stores still refuse rather than overwrite.
 */
export const COUPON_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const COUPON_CODE_LENGTH = 12;

/** A code from `bytes` (at least COUPON_CODE_LENGTH random bytes, e.g. crypto.randomBytes(12)). */
export function couponCodeFrom(bytes: Uint8Array): string {
  if (bytes.length < COUPON_CODE_LENGTH) throw new RangeError(`need ${COUPON_CODE_LENGTH} random bytes, got ${bytes.length}`);
  let code = '';
  for (let i = 0; i < COUPON_CODE_LENGTH; i++) code += COUPON_ALPHABET[bytes[i]! % COUPON_ALPHABET.length];
  return code;
}

/** A code as typed by a shopper: trimmed, upper-cased, 10..32 characters of the alphabet. */
export const CouponCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-HJ-NP-Z2-9]{10,32}$/, 'a coupon code is 10..32 letters and digits (no 0, 1, I, O)');

/** One reward: `points` buy a value coupon of `value` currency units valid for `ttlDays`. */
export const RewardSchema = z
  .object({
    rewardId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'rewardId is 1..64 of A-Z a-z 0-9 _ . : -'),
    points: z.number().int().positive(),
    value: z.number().positive().finite(),
    ttlDays: z.number().int().min(1).max(3650),
  })
  .strict();
export type Reward = z.infer<typeof RewardSchema>;

export const RewardCatalogueSchema = z
  .array(RewardSchema)
  .max(1000)
  .superRefine((rewards, ctx) => {
    const seen = new Set<string>();
    for (const [i, reward] of rewards.entries()) {
      if (seen.has(reward.rewardId))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'rewardId'], message: `duplicate rewardId ${reward.rewardId}` });
      seen.add(reward.rewardId);
    }
  });

/** The `REWARDS` default: 500 points buy a 5-unit coupon valid 90 days. */
export const DEFAULT_REWARDS = '[{"rewardId":"r5","points":500,"value":5,"ttlDays":90}]';

/** Parses the `REWARDS` JSON; throws an Error listing the problems. */
export function parseRewardCatalogue(json: string): Reward[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`REWARDS is not JSON: ${(err as Error).message}`);
  }
  const parsed = RewardCatalogueSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`REWARDS: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export const DAY_MS = 86_400_000;

/** A reward request's idempotency key (the wire schema, contracts/schemas.ts). */
export { RequestIdSchema } from '../../contracts/schemas.js';
