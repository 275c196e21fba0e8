/**
 * A member's points ledger on the wire (`members.points`, `members.history`). Browser-safe.
 * Kept by MemberStore (engine/members/member-store.ts); the points rules are in logic/points.ts.
 */

export const POINTS_CAUSES = ['order', 'cancellation', 'redemption', 'adjustment'] as const;
export type PointsCause = (typeof POINTS_CAUSES)[number];

/** One ledger entry (append-only). */
export interface LedgerEntry {
  /** 1, 2, 3, ... per member, in the order applied. */
  entryId: number;
  /** Epoch ms of the causing event. */
  ts: number;
  /** The true change (may exceed what the clamped balance shows). */
  delta: number;
  /** Spendable points after this entry. */
  balance: number;
  cause: PointsCause;
  orderId?: string;
  eventId: string;
}
