import type { Campaign, DeliveredPromotion } from '../contracts/campaigns.js';

export type { DeliveredPromotion };

/** A campaign as stored: everything but the status, which is derived when read. */
export type StoredCampaign = Omit<Campaign, 'status'>;

/**
 * An offer waiting in a member's inbox until a socket of theirs claims it. Everything delivery
 * needs is copied in at offer time, so a claim reads one key; the coupon code is chosen then too,
 * so a retried claim issues the same coupon.
 */
export interface PendingPromotion {
  /** `<campaignId>:<memberId>` (now, points_reached) or `<campaignId>:<memberId>:<eventId>` (event, cart). */
  promotionId: string;
  campaignId: string;
  memberId: string;
  /** Epoch ms. */
  offeredAt: number;
  title: string;
  message: string;
  items?: string[];
  /** With discountPercent: the code of the coupon made at delivery, and its lifetime (s). */
  coupon?: { code: string; discountPercent: number; ttlSeconds: number };
}

/** What the campaign's rules say to one delivery (see {@link CampaignStore.reserve}). */
export type ReserveOutcome =
  /** Granted now: counted against the budget and the member's frequency cap. */
  | 'ok'
  /** This promotionId was granted before (a retried claim): deliver it, count nothing. */
  | 'again'
  /** The budget is used up. */
  | 'exhausted'
  /** The member had this campaign within its frequency cap (or ever, without a cap). */
  | 'capped'
  /** Stopped, not started yet, or past its end. */
  | 'closed';

/** The rules `reserve` enforces, from the campaign (so the store need not parse it). */
export interface ReserveRules {
  startsAt: number;
  endsAt?: number;
  stoppedAt?: number;
  budget?: number;
  frequencyCapSeconds?: number;
}

/** Raw per-campaign counts; `queued` is derived as targeted - delivered - dropped. */
export interface CampaignCounts {
  targeted: number;
  delivered: number;
  dropped: number;
  redeemed: number;
  live: number;
}

/** A cart_abandoned timer: fires at `dueAt` unless re-armed (a later add) or disarmed (a purchase). */
export interface CartTimer {
  campaignId: string;
  memberId: string;
  /** Epoch ms. */
  dueAt: number;
  /** The add_to_cart event that armed it last (names the promotion). */
  eventId: string;
}

/**
 * Campaigns and their delivery state (Redis keys: `cp:{<campaignId>}:*` for one campaign's
 * definition and counters, `m:{<memberId>}:inbox*` for a member's promotions, `cpt:{p<partition>}:*`
 * for timers, plus `campaigns` listing the ids; see RedisCampaignStore). Every method is
 * idempotent where a retry can happen: offers by promotionId, grants by promotionId, counters as
 * sets (of promotionIds, or of codes for redemptions). Ids must be IdSchema ids (they sit inside
 * hash tags) and promotionIds 1..512 characters without whitespace: anything else is refused with
 * PulseError `invalid_request` before anything is written; a limit out of range is a RangeError.
 */
export interface CampaignStore {
  /** Stores a new campaign (checked against the stored-campaign schema: `invalid_request`); a plain Error when the id exists. */
  create(campaign: StoredCampaign): Promise<void>;
  /** The campaign, or undefined (also for a stored one that is unreadable: logged and counted, not thrown). */
  get(campaignId: string): Promise<StoredCampaign | undefined>;
  /** Every campaign, newest first (at most `limit`, 1..10000); unreadable ones are skipped, logged and counted. */
  list(limit: number): Promise<StoredCampaign[]>;
  /** Sets stoppedAt once (a second stop keeps the first time); undefined for an unknown id. */
  stop(campaignId: string, at: number): Promise<StoredCampaign | undefined>;

  /**
   * Puts `promotion` in its member's inbox unless that promotionId is there already (pending,
   * claimed, delivered or dropped), and counts the member as targeted by the campaign. True when
   * it was new. The count comes first and is a set (Redis: the inbox and the campaign are on
   * different slots), so a retry after a failure completes both and counts once.
   */
  offer(promotion: PendingPromotion): Promise<boolean>;
  /**
   * Claims up to `limit` of the member's pending promotions, oldest first, for `leaseMs`: a
   * concurrent claim skips them; one whose lease ran out (a claimer died) is pending again.
   * Settled ones are never claimed. `limit` 1..1000, `leaseMs` a positive integer.
   */
  claim(memberId: string, now: number, leaseMs: number, limit: number): Promise<PendingPromotion[]>;
  /**
   * One atomic step on the campaign: `again` for a promotionId granted before; else `closed`
   * (no such campaign stored, stopped in the store or in `rules`, now < startsAt, now >= endsAt),
   * `exhausted` (grants >= budget) or `capped` (the member's last grant of this campaign is
   * within frequencyCapSeconds of `now`, or exists at all without a cap); else grants it: counts
   * a delivery (and a live one when `live`) and records the member's grant time. Exact under any
   * number of concurrent engines; a stop by any engine closes it at once, even while the caller's
   * copy of the campaign predates the stop.
   */
  reserve(
    campaignId: string,
    memberId: string,
    promotionId: string,
    rules: ReserveRules,
    now: number,
    live: boolean,
  ): Promise<ReserveOutcome>;
  /**
   * Ends a claimed promotion: `delivered` (granted; kept in the member's history) or `dropped`
   * (refused by the rules; counted as dropped). Idempotent: the first outcome stays (a later
   * settle of the other outcome changes nothing); an unknown promotionId is ignored.
   */
  settle(memberId: string, promotionId: string, outcome: 'delivered' | 'dropped', now: number): Promise<void>;
  /** The member's delivered promotions, newest first (at most `limit`, 1..1000). */
  delivered(memberId: string, limit: number): Promise<DeliveredPromotion[]>;
  /** Counts a redeemed coupon of the campaign once per code. */
  recordRedemption(campaignId: string, code: string): Promise<void>;
  counts(campaignId: string): Promise<CampaignCounts>;

  /** Whether the `now` fan-out of the campaign over `partition` has finished. */
  fanOutDone(campaignId: string, partition: number): Promise<boolean>;
  markFanOutDone(campaignId: string, partition: number): Promise<void>;

  /** Arms (or re-arms, replacing the due time and event) the member's timer of a campaign. */
  armTimer(partition: number, timer: CartTimer): Promise<void>;
  /** Removes the member's timers of these campaigns (a purchase emptied the cart). */
  disarmTimers(partition: number, memberId: string, campaignIds: readonly string[]): Promise<void>;
  /** Timers due at `now` (dueAt <= now), earliest first, at most `limit` (1..1000). */
  dueTimers(partition: number, now: number, limit: number): Promise<CartTimer[]>;
  /** Removes a fired timer, unless it was re-armed since (its dueAt or eventId differ). */
  removeTimer(partition: number, timer: CartTimer): Promise<void>;
}
