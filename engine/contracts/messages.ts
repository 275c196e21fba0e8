import type { Item, MemberProfile, Principal, RecommendationList, RecommendRequest } from './schemas.js';
import type { WireError } from './errors.js';
import type { LedgerEntry } from './members.js';
import type { Coupon } from './coupons.js';
import type { RecentInteraction } from './interactions.js';
import type { Campaign, CampaignStats, DeliveredPromotion, Promotion } from './campaigns.js';
import type { AnalyticsOverview, SegmentList, ShopperProfile } from './analytics.js';
import type { ServingModelInfo } from './model-info.js';

/**
 * Request/reply methods the gateway forwards to the engine (subject `pulse.rpc.<method>`).
 * Each maps a request payload to a result; the reply is an RpcReply.
 */
export interface RpcMethods {
  recommend: { request: { principal: Principal; userId: string; options: RecommendRequest }; result: RecommendationList };
  similar: { request: { principal: Principal; itemId: string; k: number }; result: RecommendationList };
  'catalog.get': { request: { principal: Principal; itemId: string }; result: Item };
  'catalog.upsert': { request: { items: Item[] }; result: { upserted: number } };
  'catalog.delete': { request: { itemId: string }; result: { deleted: boolean } };
  /** Browse the catalog (demo page, admin tools): items the principal may see, filtered and paged. */
  'catalog.list': {
    request: { principal: Principal; category?: string; query?: string; limit: number; offset: number };
    result: { items: Item[]; total: number; categories: string[] };
  };
  /**
   * Creates a member (regular tier, 0 points); `email_taken`, `invalid_email`, `invalid_password`;
   * `unavailable`/`rate_limited` with `details.retryAfterSeconds` when password hashing is busy.
   * The same email and password again within REGISTRATION_RETRY_SECONDS returns the same member.
   * `client` (register and login): the caller's IP as the gateway saw it, the password queue's fairness key.
   */
  'members.register': { request: { email: string; password: string; name: string; client?: string }; result: MemberProfile };
  /** Checks a member's password; `invalid_credentials` for an unknown email or a wrong password. */
  'members.login': { request: { email: string; password: string; client?: string }; result: MemberProfile };
  /** A member's record; `not_found` when there is none. */
  'members.get': { request: { memberId: string }; result: MemberProfile };
  /**
   * Imports members (admin), each entry validated alone against MemberImportSchema and applied in
   * order: a known memberId is left unchanged (`existing`); rejected per index with `invalid_email`,
   * `invalid_request` or `email_taken`. At most MAX_MEMBERS_PER_BATCH entries.
   */
  'members.import': {
    request: { members: unknown[] };
    result: { created: number; existing: number; rejected: Array<{ index: number; error: WireError }> };
  };
  /** A member's points ledger, newest first (`limit` 1..1000, entries with entryId < `before`); `not_found` when no member. */
  'members.points': { request: { memberId: string; limit: number; before?: number }; result: { entries: LedgerEntry[]; next?: number } };
  /** Events, orders, points ledger, coupons and delivered promotions (extension), newest first, paged together by ts (`limit` 1..200, ts < `before`); `next` is the following page's `before`. */
  'members.history': {
    request: { memberId: string; limit: number; before?: number };
    result: {
      events: RecentInteraction[];
      orders: LedgerEntry[];
      points: LedgerEntry[];
      coupons: Coupon[];
      promotions: DeliveredPromotion[];
      next?: number;
    };
  };
  /** A member's coupons, newest first. */
  'coupons.list': { request: { memberId: string }; result: { coupons: Coupon[] } };
  /** Uses a coupon once: `coupon_not_found`, `coupon_not_yours`, `coupon_expired`, `coupon_used`. */
  'coupons.redeem': { request: { memberId: string; code: string; orderId: string }; result: Coupon };
  /** The reward catalogue (`REWARDS`): what points buy, cheapest first. */
  'rewards.list': {
    request: { memberId: string };
    result: { rewards: Array<{ rewardId: string; points: number; value: number; ttlDays: number }> };
  };
  /** Points for a coupon, once per requestId: `reward_not_found`, `insufficient_points`, `not_found`. */
  'rewards.redeem': {
    request: { memberId: string; rewardId: string; requestId: string };
    result: { coupon: Coupon; points: number; applied: boolean };
  };
  /** Checks (`checkCampaign`) and stores a campaign; `createdBy` is the caller's `sub`. Codes: invalid_campaign, unknown_trigger, invalid_schedule, invalid_budget, empty_audience. */
  'campaigns.create': { request: { input: unknown; createdBy: string }; result: Campaign };
  /** Every campaign, newest first. */
  'campaigns.list': { request: Record<string, never>; result: { campaigns: Campaign[] } };
  /** One campaign; `not_found` for an unknown id. */
  'campaigns.get': { request: { campaignId: string }; result: Campaign };
  /** Stops a campaign (no more offers or deliveries; queued ones are dropped when claimed); `not_found` for an unknown id. */
  'campaigns.stop': { request: { campaignId: string }; result: Campaign };
  'campaigns.stats': { request: { campaignId: string }; result: CampaignStats };
  /** How many members the audience holds now (`empty_audience` / `invalid_campaign` for a bad one). */
  'campaigns.preview': { request: { audience: unknown }; result: { size: number; members: number } };
  /**
   * Delivers the member's pending promotions: each one granted by its campaign's rules is pushed
   * as `promotion` to every socket of the member (push.user), the rest are dropped. `live`: the
   * claim answers an `inbox` hint (the member was online when the offer was made), not a connect.
   */
  'promotions.claim': { request: { memberId: string; live: boolean }; result: { delivered: Promotion[] } };
  /** A shopper's profile at `at` (default: now); `not_found` for a user with neither events nor a member record. */
  'analytics.profile': { request: { userId: string; at?: number }; result: ShopperProfile };
  /** Every built-in segment and the `limit` biggest brand_loyal ones with their sizes at `at`. */
  'analytics.segments': { request: { at?: number; limit?: number }; result: SegmentList };
  /** Shop-wide figures at `at`: members, activity, event counters, popular categories and brands, campaigns. */
  'analytics.overview': { request: { at?: number }; result: AnalyticsOverview };
  /** Readiness probe of the gateways (cached ~1 s each): this engine's id, whether it has started, its own checks (redis, persistence, nats) and the model it serves. */
  'engine.ping': {
    request: Record<string, never>;
    result: { engineId: string; ready: boolean; checks: Record<string, { ok: boolean; detail: string }>; model?: ServingModelInfo };
  };
}
export type RpcMethod = keyof RpcMethods;

export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: WireError };

/** What the engine pushes to the gateways holding a user's sockets (`push.user.<id>`). */
export type PushMessage =
  | {
      /** Socket.IO event name the gateway emits. */
      event: 'recommendations';
      data: RecommendationList;
      /** Gateway clock (epoch ms) when the causing event was accepted; for push latency. */
      causeReceivedAt?: number;
    }
  | { event: 'promotion'; data: Promotion }
  | { event: 'member'; data: Record<string, unknown> }
  /**
   * Engine -> gateways only, never emitted to a socket: the member's inbox holds a new offer; a
   * gateway holding a socket of the member answers with `promotions.claim {live: true}`.
   */
  | { event: 'inbox'; data: Record<string, never> };

/** A catalog change as kept in the CATALOG stream (latest per item). */
export type CatalogChange = { type: 'upsert'; item: Item } | { type: 'delete'; itemId: string };
