import type { LoggedEvent } from '../../contracts/schemas.js';
import type { InteractionUpdate } from '../../recommend/interaction-stats.js';
import type { StoredMember } from '../../members/member-store.js';
import type { UserState, UserStateChange } from '../../shoppers/user-state-store.js';

/**
 * The batched event path's data: one partition's batch, grouped by user, as it moves through the
 * stages (load, prepare, compute, store, after-store, ack). See event-processor.ts for the order
 * and pipeline/stage.ts for how a domain plugs in.
 */

/** What an order did to the member record (points stage). */
export interface PurchaseCredit {
  /** The record after the points step; undefined when the user is no member. */
  member?: StoredMember;
  /** Spendable points before and after, when this event changed them. */
  points?: { before: number; after: number };
}

/** One event of the batch and what became of it. */
export interface EventRun {
  event: LoggedEvent;
  /** Position in the batch as delivered. */
  index: number;
  /**
   * The event's dedupe marker before this batch: null when not applied yet; else the tag of the
   * batch that applied it (or '1' for a marker written outside a batch).
   */
  marker: string | null;
  /** Set by the points stage for orders (the member record after it, when the user is a member). */
  credit?: PurchaseCredit;
  /** Set by the points stage for an `order` event: the money the status moved (lifetime value, revenue). */
  order?: { amount: number };
  /**
   * The computed effect: the change to store, the state after it, and the shop-wide update
   * (none for a merge). A duplicate's is computed on the state as loaded, only for its `stats`
   * (aggregates a stopped batch may not have written).
   */
  effect?: { change: UserStateChange; next: UserState; stats?: InteractionUpdate };
  /** Set once stored: `applied` by this batch, or `duplicate` (applied before). */
  outcome?: 'applied' | 'duplicate';
  /** Set when the event (and every later one of its user) could not be applied. */
  error?: unknown;
}

/** One user's events of the batch, in stream order. */
export interface UserRun {
  userId: string;
  events: EventRun[];
  /** The state as loaded; after the store stage, the state after the last applied event. */
  state: UserState;
  /** Visitor states a merge event of this user folds in (loaded with the batch). */
  mergeSources: Map<string, UserState>;
  /** The member record, read at most once per batch and only when a stage asks (see MemberLookup). */
  member: MemberLookup;
}

/** The batch as the after-store stages see it. */
export interface Batch {
  /** Unique id of this batch: the tag of its dedupe markers and the key of its aggregate writes. */
  tag: string;
  users: UserRun[];
  /** Epoch ms the batch started (list `generatedAt`, trigger and campaign clocks). */
  now: number;
}

/** Whether an event was accepted recently enough that its user should see its effect pushed. */
export function isLive(event: LoggedEvent, now: number, pushMaxAgeMs: number): boolean {
  return now - event.receivedAt <= pushMaxAgeMs;
}

/**
 * A user's member record for one batch, read at most once and only when asked (a boosting
 * campaign, a trigger): a purchase's points step has read it already.
 */
export class MemberLookup {
  private record: Promise<StoredMember | undefined> | undefined;
  /** The newest record a points step returned in this batch. */
  known: StoredMember | undefined;

  constructor(
    private readonly userId: string,
    private readonly read: ((userId: string) => Promise<StoredMember | undefined>) | undefined,
  ) {}

  get(): Promise<StoredMember | undefined> {
    if (this.known) return Promise.resolve(this.known);
    this.record ??= this.read ? this.read(this.userId) : Promise.resolve(undefined);
    return this.record;
  }
}
