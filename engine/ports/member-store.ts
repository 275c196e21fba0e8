import type { MemberProfile } from '../contracts/schemas.js';

/** A member as stored: the public profile plus the password hash (never leaves the engine). */
export interface StoredMember extends MemberProfile {
  /** `scrypt$N$r$p$salt$key` (see logic/passwords.ts). */
  passwordHash: string;
}

/**
 * Member accounts (Redis keys `m:{<memberId>}:rec` and `email:{<email>}`). Emails are unique and
 * compared in their normalised form (trimmed, lower-cased: EmailSchema).
 */
export interface MemberStore {
  /**
   * Stores a new member and claims its email, all or nothing. Throws PulseError `email_taken`
   * when another member holds the email (nothing written), `unavailable` when the store failed
   * (nothing left behind that a later registration or login would see).
   */
  create(member: StoredMember): Promise<void>;
  /** The member, or undefined. */
  get(memberId: string): Promise<StoredMember | undefined>;
  /** The member holding `email` (already normalised), or undefined. */
  findByEmail(email: string): Promise<StoredMember | undefined>;
}
