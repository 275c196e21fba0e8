import { z } from 'zod';
import { ErrorCodes, PulseError, type ErrorCode } from './errors.js';
import { IdSchema, zodDetails, type Tier } from './field-schemas.js';
import { textRule } from './text-rules.js';

// --- Members (CONTRACT.md "Identity" and "Membership") -------------------------------------------

/** Longest email accepted (RFC 5321 path limit), in characters. */
export const MAX_EMAIL_LENGTH = 254;

/** An email as stored and compared: trimmed, lower-cased, `local@domain.tld`, no whitespace. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(MAX_EMAIL_LENGTH, `at most ${MAX_EMAIL_LENGTH} characters`)
  .regex(/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/, 'not an email address (local@domain.tld)');

/** A new password: 8 to 200 characters (UTF-16 units), taken as given (no trimming). */
export const PasswordSchema = z.string().min(8, 'at least 8 characters').max(200, 'at most 200 characters');

/** A member's name: trimmed, 1..200 characters, text-rules.ts (no control characters, no lone surrogates). */
export const MemberNameSchema = textRule(z.string().trim().min(1).max(200));

/** `POST /v1/members` body. */
export const MemberRegistrationSchema = z.object({ email: EmailSchema, password: PasswordSchema, name: MemberNameSchema }).strict();
export type MemberRegistration = z.infer<typeof MemberRegistrationSchema>;

/**
 * `POST /v1/sessions` body. The password is only bounded (an old, shorter password still logs in).
 * `visitorId` is merged only when the request's bearer token is that visitor's own token.
 */
export const MemberLoginSchema = z
  .object({ email: EmailSchema, password: z.string().min(1).max(200), visitorId: IdSchema.optional() })
  .strict();
export type MemberLogin = z.infer<typeof MemberLoginSchema>;

/** Member fields with an error code of their own; any other bad field is `invalid_request`. */
const CODE_BY_MEMBER_FIELD: Record<string, ErrorCode> = { email: ErrorCodes.invalidEmail, password: ErrorCodes.invalidPassword };

/**
 * The error for a member body (registration, login, import entry) that fails validation: the
 * first bad field decides the code (`invalid_email`, `invalid_password`, else `invalid_request`).
 */
export function memberValidationError(error: z.ZodError): PulseError {
  const issue = error.issues[0];
  const field = typeof issue?.path[0] === 'string' ? issue.path[0] : '(root)';
  return new PulseError(
    CODE_BY_MEMBER_FIELD[field] ?? ErrorCodes.invalidRequest,
    `invalid ${field}: ${issue?.message ?? 'invalid'}`,
    zodDetails(error),
  );
}

/** Largest `members` array one `POST /v1/members/batch` may carry. */
export const MAX_MEMBERS_PER_BATCH = 1000;

/**
 * One entry of `POST /v1/members/batch` (extension, admin): a member made by an import, with no
 * password (login answers `invalid_credentials`). Without `email` the member has none (`''`);
 * `createdAt` (epoch ms) defaults to the engine's clock. Tier and points start at regular / 0:
 * they come from the member's purchases.
 */
export const MemberImportSchema = z
  .object({
    memberId: IdSchema,
    email: EmailSchema.optional(),
    name: MemberNameSchema,
    createdAt: z.number().int().nonnegative().max(8.64e15).optional(),
  })
  .strict();
export type MemberImport = z.infer<typeof MemberImportSchema>;

/** What `GET /v1/members/me` returns: the member record without its password hash. */
export interface MemberProfile {
  memberId: string;
  /** Normalised (trimmed, lower-cased). */
  email: string;
  name: string;
  tier: Tier;
  /** Spendable points. */
  points: number;
  /** Points ever earned (never lowered by redemptions); decides the tier. */
  lifetimePoints: number;
  /** Epoch ms. */
  createdAt: number;
}
