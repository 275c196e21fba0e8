import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { campaignStatus, DEFAULT_COUPON_TTL_SECONDS, type Campaign, type Promotion } from '../contracts/campaigns.js';
import { PulseError } from '../contracts/errors.js';
import { couponCodeFrom } from '../members/logic/coupons.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignStore, PendingPromotion, ReserveRules, StoredCampaign } from './campaign-store.js';
import { CouponCodeTakenError, type Coupon, type CouponStore } from '../members/coupon-store.js';
import type { Notifier } from '../platform/notifier.js';

export interface PromotionDeliveryOptions {
  /** How long a claim holds a member's promotions (ms): a claimer that dies releases them after this. */
  leaseMs: number;
  /** Promotions claimed per round; a claim takes rounds until the inbox is empty. */
  claimLimit: number;
}

export interface PromotionDeliveryDeps {
  store: CampaignStore;
  /** Makes the per-member coupon of an offer with `discountPercent`. */
  coupons: CouponStore;
  notifier: Notifier;
  logger: Logger;
  metrics?: EngineMetrics;
  /** Random bytes for coupon codes (tests pass a seeded source). */
  randomBytes?: (size: number) => Uint8Array;
  options?: Partial<PromotionDeliveryOptions>;
}

const DEFAULTS: PromotionDeliveryOptions = { leaseMs: 15_000, claimLimit: 50 };
/** Rounds of one claim at most (claimLimit each): a bound, not a limit anyone reaches. */
const MAX_CLAIM_ROUNDS = 20;
/** Fresh codes tried when a promotion's code turns out to be another member's (never, in practice). */
const CODE_ATTEMPTS = 3;
/** Coupons searched for the one a retried delivery made already. */
const COUPON_SCAN = 1000;

/**
 * Delivery of promotions, exactly once per member per promotion (see README "Campaigns and
 * promotions"). `offer` writes the promotion into the member's inbox and hints the gateways;
 * `claim`, called by a gateway holding a socket of the member, leases the pending ones, asks the
 * campaign's rules (`reserve`: budget, cap, schedule, exact over all engines), makes the coupon,
 * settles, and only then pushes `promotion`: a crash before the push leaves it pending (retried
 * after the lease, `reserve` answering `again`), a crash after it never pushes twice.
 */
export class PromotionDelivery {
  private readonly options: PromotionDeliveryOptions;
  private readonly random: (size: number) => Uint8Array;

  constructor(private readonly deps: PromotionDeliveryDeps) {
    this.options = { ...DEFAULTS, ...deps.options };
    this.random = deps.randomBytes ?? randomBytes;
  }

  /**
   * Offers the campaign to the member: false when the campaign is not running at `now` or the
   * member had this promotion already. The promotionId is `<campaignId>:<memberId>` for `now`
   * and `points_reached`, `<campaignId>:<memberId>:<eventId>` for `event` and `cart_abandoned`
   * (whose occurrence must carry the causing event's id).
   */
  async offer(campaign: Campaign, memberId: string, occurrence: { eventId?: string }, now: number): Promise<boolean> {
    // The registry's copy may be a reload old: re-check the schedule at `now` (reserve decides exactly).
    if (campaign.status === 'exhausted' || campaignStatus(campaign, 0, now) !== 'running') return false;
    const pending = this.pendingOf(campaign, memberId, occurrence, now);
    const fresh = await this.deps.store.offer(pending);
    if (fresh) {
      this.deps.metrics?.promotions.inc({ outcome: 'offered' });
      // A hint only: a gateway holding a socket of the member claims; nobody else hears it.
      this.deps.notifier.pushToUser(memberId, { event: 'inbox', data: {} });
    }
    return fresh;
  }

  /**
   * Delivers the member's pending promotions: each one its campaign grants is pushed as
   * `promotion` to every socket of the member and returned; the rest are dropped. `live`: the
   * claim answers an `inbox` hint (counted in the campaign's `live`). A promotion that fails here
   * (store unavailable) stays leased and is retried by a claim after the lease.
   */
  async claim(memberId: string, live: boolean, now: number): Promise<Promotion[]> {
    const { store } = this.deps;
    const campaigns = new Map<string, Promise<StoredCampaign | undefined>>();
    // The stored campaign, not this engine's copy: a stop on another engine counts at once.
    const campaignOf = (campaignId: string) => {
      let campaign = campaigns.get(campaignId);
      if (!campaign) campaigns.set(campaignId, (campaign = store.get(campaignId)));
      return campaign;
    };
    const delivered: Promotion[] = [];
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const batch = await store.claim(memberId, now, this.options.leaseMs, this.options.claimLimit);
      for (const pending of batch) {
        try {
          const promotion = await this.deliver(pending, await campaignOf(pending.campaignId), live, now);
          if (promotion) delivered.push(promotion);
        } catch (err) {
          this.deps.metrics?.errors.inc({ code: err instanceof PulseError ? err.code : 'promotion_delivery' });
          this.deps.logger.warn({ err, memberId, promotionId: pending.promotionId }, 'promotion delivery failed; retried after its lease');
        }
      }
      if (batch.length < this.options.claimLimit) break;
    }
    return delivered;
  }

  private async deliver(
    pending: PendingPromotion,
    campaign: StoredCampaign | undefined,
    live: boolean,
    now: number,
  ): Promise<Promotion | undefined> {
    const { store, notifier } = this.deps;
    const outcome = campaign
      ? await store.reserve(pending.campaignId, pending.memberId, pending.promotionId, rulesOf(campaign), now, live)
      : 'closed';
    if (outcome !== 'ok' && outcome !== 'again') {
      await store.settle(pending.memberId, pending.promotionId, 'dropped', now);
      this.deps.metrics?.promotions.inc({ outcome: 'dropped' });
      return undefined;
    }
    const coupon = pending.coupon ? await this.issueCoupon(pending, pending.coupon, now) : undefined;
    await store.settle(pending.memberId, pending.promotionId, 'delivered', now);
    const promotion: Promotion = {
      promotionId: pending.promotionId,
      campaignId: pending.campaignId,
      title: pending.title,
      message: pending.message,
      ...(coupon ? { coupon: { code: coupon.code, discountPercent: coupon.discountPercent ?? 0, expiresAt: coupon.expiresAt } } : {}),
      ...(pending.items ? { items: pending.items } : {}),
    };
    notifier.pushToUser(pending.memberId, { event: 'promotion', data: promotion });
    this.deps.metrics?.promotions.inc({ outcome: 'delivered' });
    return promotion;
  }

  /**
   * The promotion's coupon, made once: with the code chosen at offer time, valid `ttlSeconds` from
   * now. A retry finds the coupon the first attempt made (same code, other times: the store
   * refuses it as taken) and returns that one.
   */
  private async issueCoupon(pending: PendingPromotion, spec: NonNullable<PendingPromotion['coupon']>, now: number): Promise<Coupon> {
    const { coupons, logger } = this.deps;
    let code = spec.code;
    for (let attempt = 1; ; attempt++) {
      const coupon: Coupon = {
        code,
        memberId: pending.memberId,
        kind: 'percent',
        value: 0,
        discountPercent: spec.discountPercent,
        expiresAt: now + spec.ttlSeconds * 1000,
        createdAt: now,
        source: { type: 'campaign', id: pending.campaignId },
      };
      try {
        await coupons.issue(coupon);
        return coupon;
      } catch (err) {
        if (!(err instanceof CouponCodeTakenError)) throw err;
        const made = (await coupons.list(pending.memberId, COUPON_SCAN)).find(
          (c) => c.code === code && c.source.type === 'campaign' && c.source.id === pending.campaignId,
        );
        if (made) return made;
        if (attempt >= CODE_ATTEMPTS) throw err;
        // The code is another member's: a 2^-60 freak. A fresh one, not kept in the inbox entry.
        logger.warn({ promotionId: pending.promotionId }, 'coupon code taken; drawing another');
        code = couponCodeFrom(this.random(12));
      }
    }
  }

  private pendingOf(campaign: Campaign, memberId: string, occurrence: { eventId?: string }, now: number): PendingPromotion {
    const { offer, trigger } = campaign;
    const perEvent = trigger.type === 'event' || trigger.type === 'cart_abandoned';
    if (perEvent && !occurrence.eventId) throw new Error(`a ${trigger.type} promotion needs the causing event id`);
    return {
      promotionId: perEvent ? `${campaign.campaignId}:${memberId}:${occurrence.eventId}` : `${campaign.campaignId}:${memberId}`,
      campaignId: campaign.campaignId,
      memberId,
      offeredAt: now,
      title: offer.title,
      message: offer.message,
      ...(offer.itemIds ? { items: offer.itemIds } : {}),
      // The code is drawn now and kept with the offer, so every delivery attempt issues the same coupon.
      ...(offer.discountPercent !== undefined
        ? {
            coupon: {
              code: couponCodeFrom(this.random(12)),
              discountPercent: offer.discountPercent,
              ttlSeconds: offer.couponTtlSeconds ?? DEFAULT_COUPON_TTL_SECONDS,
            },
          }
        : {}),
    };
  }
}

/** What `reserve` enforces, from the stored campaign. */
export function rulesOf(campaign: StoredCampaign): ReserveRules {
  return {
    startsAt: campaign.startsAt,
    ...(campaign.endsAt !== undefined ? { endsAt: campaign.endsAt } : {}),
    ...(campaign.stoppedAt !== undefined ? { stoppedAt: campaign.stoppedAt } : {}),
    ...(campaign.budget !== undefined ? { budget: campaign.budget } : {}),
    ...(campaign.frequencyCapSeconds !== undefined ? { frequencyCapSeconds: campaign.frequencyCapSeconds } : {}),
  };
}
