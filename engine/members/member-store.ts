import type { LedgerEntry, PointsCause } from '../contracts/members.js';
import type { MemberProfile, Tier } from '../contracts/schemas.js';
import type { TierThresholds } from './logic/tiers.js';

export type { LedgerEntry };

/**
 * A member as stored: the public profile plus the password hash (never leaves the engine).
 * An imported member (`members.import`) may have no password (login answers
 * `invalid_credentials`) and no email (`email: ''`, nothing claimed, nobody can log in as it).
 */
export interface StoredMember extends MemberProfile {
  /** `scrypt$N$r$p$salt$key` (see logic/passwords.ts); absent: no password set. */
  passwordHash?: string;
}

/**
 * Member accounts (Redis keys `m:{<memberId>}:rec`, `email:{<email>}` and the id index
 * `members:{<slot tag>}`). Emails are unique and compared in their normalised form (trimmed,
 * lower-cased: EmailSchema).
 */
export interface MemberStore {
  /**
   * Stores a new member and claims its email, all or nothing. Throws PulseError `email_taken`
   * when another member holds the email (nothing written), `unavailable` when the store failed
   * (nothing left behind that a later registration or login would see).
   */
  create(member: StoredMember): Promise<void>;
  /**
   * Stores `member` unless one with its memberId exists (imports: running one twice is safe).
   * `existing`: that member is left exactly as it is (whatever `member` says), nothing claimed.
   * `created`: stored with its email claimed (none when `email` is ''), all or nothing.
   * Throws PulseError `email_taken` when a member with another id holds the email (nothing
   * written), `unavailable` as `create` does. Concurrent calls for one memberId: one creates.
   */
  createIfAbsent(member: StoredMember): Promise<'created' | 'existing'>;
  /** The member, or undefined. */
  get(memberId: string): Promise<StoredMember | undefined>;
  /** The member holding `email` (already normalised), or undefined. */
  findByEmail(email: string): Promise<StoredMember | undefined>;
  /**
   * Applies a points change once per `eventId` (Redis: `m:{<memberId>}:pe:<eventId>`), in one
   * atomic step with the record's points, lifetimePoints and tier and the ledger entry (rules in
   * logic/points.ts `nextBalance`). A repeated eventId returns `applied: false` and the member as
   * it is now, changing nothing. Throws PulseError `not_found` when there is no such member.
   */
  applyPoints(memberId: string, change: PointsChange, thresholds: TierThresholds): Promise<PointsOutcome>;
  /** Ledger entries, newest first: at most `limit`, with entryId < `before` when given. */
  ledger(memberId: string, page: LedgerPage): Promise<LedgerEntry[]>;
  /**
   * Pages through every member id (campaign fan-out, audience previews): start with cursor
   * undefined and pass each returned cursor back until it comes back undefined. A member stored
   * before the scan began is returned exactly once; one created during it may or may not be.
   * The order is the store's own (not creation order). A page holds at most `count` ids
   * (1..10000) and may hold fewer while the cursor is still defined. The index behind it is
   * written in the same atomic step as the record (create, createIfAbsent). A malformed cursor
   * is PulseError `invalid_request`.
   */
  scan(cursor: string | undefined, count: number): Promise<MemberScanPage>;
  /**
   * The intake side of an order (Redis `ord:{<orderId>}`), atomically: checks a status against
   * what was accepted for the order before and records it. `duplicate` when this orderId +
   * status (+ return lines) was accepted before (nothing changes). Throws PulseError
   * `order_conflict` (nothing written) for a return or cancellation of an order never paid, a
   * return of an item not in it or of more than was paid and not yet returned, anything after a
   * cancellation but the same cancellation, or a paid order re-sent with other lines or for
   * another user. Answers the paid unit price of every line the status names (a return's value).
   */
  acceptOrder(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }>;
  /**
   * Where the order's `paid` status is: `applied` (by `applyOrder`, for this user), `accepted`
   * (by `acceptOrder`, not applied yet), or `unknown`.
   */
  paidOrderState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'>;
  /**
   * Applies an order status of a user once, in one atomic step with the member's points (Redis:
   * the order record `m:{<userId>}:ord:<orderId>` next to the member record). `paid` stores each
   * line's quantity, price and earned points (`lines[i].points`; 0 for a user with no member
   * record); `returned` reverses, per line, `reversedPoints(earned, quantity, returned so far)`
   * minus what was reversed before (logic/points.ts), at most the quantity not returned yet;
   * `cancelled` reverses whatever is left. The member's points move by the sum (cause `order` or
   * `cancellation`, a ledger entry with the event id and orderId), with the rules of
   * `nextBalance`. A status (a return: its event id) applied before is `applied: false` and
   * changes nothing, for ever. A return or cancellation before the paid status throws PulseError
   * `unavailable` (retried: the accept step makes it impossible in the normal flow).
   */
  applyOrder(userId: string, change: OrderChange, thresholds: TierThresholds): Promise<OrderOutcome>;
}

/** What `acceptOrder` checks and records (lines: for a return the returned quantities; prices only for `paid`). */
export interface OrderAcceptance {
  orderId: string;
  userId: string;
  status: 'paid' | 'returned' | 'cancelled';
  lines: Array<{ itemId: string; quantity: number; price: number }>;
  /** paid: digest of the lines (contracts/orders.ts `paidDigest`); cancelled with lines: the same digest of those. */
  paidDigest?: string;
  /** returned: contracts/orders.ts `returnDigest` of the lines. */
  returnDigest?: string;
}

/** One order status to apply (`applyOrder`). */
export interface OrderChange {
  /** The order event's id (contracts/orders.ts `orderEventId`): the ledger's eventId and a return's key. */
  eventId: string;
  orderId: string;
  status: 'paid' | 'returned' | 'cancelled';
  ts: number;
  /** paid: every line with the points it earned; returned: the returned quantities; cancelled: none. */
  lines: Array<{ itemId: string; quantity: number; price: number; points?: number }>;
}

export interface OrderOutcome {
  /** False when this status (return) was applied before: nothing changed. */
  applied: boolean;
  /** Money this status moved (currency units): + the paid total, - the value returned or cancelled; for a repeat, what it moved when applied. */
  amount: number;
  /** Points moved (signed; 0 for a user with no member record). */
  points: number;
  /** The member record after it, or undefined for a user with no member record. */
  member?: StoredMember;
  /** Set when this change raised the tier. */
  tierChanged?: { from: Tier; to: Tier };
}

export interface MemberScanPage {
  memberIds: string[];
  /** Pass it to the next call; undefined when the scan is complete. */
  cursor: string | undefined;
}

/** A points change to apply (delta in whole points, signed). */
export interface PointsChange {
  /** The causing event's id: the idempotency key. */
  eventId: string;
  /** When it happened (epoch ms). */
  ts: number;
  delta: number;
  cause: PointsCause;
  orderId?: string;
}

export interface PointsOutcome {
  /** False when this eventId was applied before (nothing changed). */
  applied: boolean;
  member: StoredMember;
  /** Set when this change raised the tier. */
  tierChanged?: { from: Tier; to: Tier };
}

export interface LedgerPage {
  /** 1..1000. */
  limit: number;
  /** Only entries with entryId below this (the previous page's last entryId). */
  before?: number;
}
