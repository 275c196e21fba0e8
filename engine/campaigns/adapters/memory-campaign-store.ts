import type {
  CampaignCounts,
  CampaignStore,
  CartTimer,
  DeliveredPromotion,
  PendingPromotion,
  ReserveOutcome,
  ReserveRules,
  StoredCampaign,
} from '../campaign-store.js';
import {
  byteOrder,
  checkEpochMs,
  checkId,
  checkLease,
  checkLimit,
  checkPartition,
  checkPromotion,
  checkPromotionId,
  checkRules,
  checkStoredCampaign,
  checkTimer,
  timerKey,
} from '../campaign-store-checks.js';

/** One campaign's delivery state; every counter is a set, as in Redis (idempotent by nature). */
interface CampaignState {
  targeted: Set<string>;
  /** promotionIds granted by `reserve`: the delivered count. */
  granted: Set<string>;
  dropped: Set<string>;
  live: Set<string>;
  redeemedCodes: Set<string>;
  /** memberId -> epoch ms of the member's last grant. */
  lastGrant: Map<string, number>;
  fanOutDone: Set<number>;
}

interface InboxEntry {
  promotion: PendingPromotion;
  /** Epoch ms until which a claim holds it. */
  leaseUntil?: number;
  settled?: 'delivered' | 'dropped';
  deliveredAt?: number;
}

/**
 * In-process campaign storage (embedded mode, tests); same semantics as RedisCampaignStore,
 * checked by the one conformance suite. No method awaits between its check and its write, so
 * each is one atomic step, like the Redis scripts.
 */
export class MemoryCampaignStore implements CampaignStore {
  private readonly campaigns = new Map<string, StoredCampaign>();
  private readonly states = new Map<string, CampaignState>();
  /** memberId -> promotionId -> entry. */
  private readonly inboxes = new Map<string, Map<string, InboxEntry>>();
  /** partition -> `<campaignId> <memberId>` -> timer. */
  private readonly timers = new Map<number, Map<string, CartTimer>>();

  async create(campaign: StoredCampaign): Promise<void> {
    checkStoredCampaign(campaign);
    if (this.campaigns.has(campaign.campaignId)) throw new Error(`campaign ${campaign.campaignId} already exists`);
    this.campaigns.set(campaign.campaignId, structuredClone(campaign));
  }

  async get(campaignId: string): Promise<StoredCampaign | undefined> {
    const campaign = this.campaigns.get(checkId('campaignId', campaignId));
    return campaign ? structuredClone(campaign) : undefined;
  }

  async list(limit: number): Promise<StoredCampaign[]> {
    checkLimit(limit, 10_000);
    // Newest first; equal createdAt by id descending, like ZREVRANGE.
    const all = [...this.campaigns.values()].sort((a, b) => b.createdAt - a.createdAt || byteOrder(b.campaignId, a.campaignId));
    return all.slice(0, limit).map((campaign) => structuredClone(campaign));
  }

  async stop(campaignId: string, at: number): Promise<StoredCampaign | undefined> {
    checkEpochMs('at', at);
    const campaign = this.campaigns.get(checkId('campaignId', campaignId));
    if (!campaign) return undefined;
    campaign.stoppedAt ??= at;
    return structuredClone(campaign);
  }

  async offer(promotion: PendingPromotion): Promise<boolean> {
    checkPromotion(promotion);
    this.stateOf(promotion.campaignId).targeted.add(promotion.promotionId);
    const inbox = this.inboxOf(promotion.memberId);
    if (inbox.has(promotion.promotionId)) return false;
    inbox.set(promotion.promotionId, { promotion: structuredClone(promotion) });
    return true;
  }

  async claim(memberId: string, now: number, leaseMs: number, limit: number): Promise<PendingPromotion[]> {
    checkId('memberId', memberId);
    checkEpochMs('now', now);
    checkLease(leaseMs);
    checkLimit(limit, 1000);
    const pending = [...(this.inboxes.get(memberId)?.values() ?? [])]
      .filter((entry) => entry.settled === undefined && (entry.leaseUntil === undefined || entry.leaseUntil <= now))
      .sort((a, b) => a.promotion.offeredAt - b.promotion.offeredAt || byteOrder(a.promotion.promotionId, b.promotion.promotionId))
      .slice(0, limit);
    for (const entry of pending) entry.leaseUntil = now + leaseMs;
    return pending.map((entry) => structuredClone(entry.promotion));
  }

  async reserve(
    campaignId: string,
    memberId: string,
    promotionId: string,
    rules: ReserveRules,
    now: number,
    live: boolean,
  ): Promise<ReserveOutcome> {
    checkId('campaignId', campaignId);
    checkId('memberId', memberId);
    checkPromotionId(promotionId);
    checkRules(rules);
    checkEpochMs('now', now);
    const state = this.stateOf(campaignId);
    if (state.granted.has(promotionId)) return 'again';
    const stored = this.campaigns.get(campaignId);
    if (
      !stored ||
      stored.stoppedAt !== undefined ||
      rules.stoppedAt !== undefined ||
      now < rules.startsAt ||
      (rules.endsAt !== undefined && now >= rules.endsAt)
    )
      return 'closed';
    if (rules.budget !== undefined && state.granted.size >= rules.budget) return 'exhausted';
    const last = state.lastGrant.get(memberId);
    if (last !== undefined && (rules.frequencyCapSeconds === undefined || now - last < rules.frequencyCapSeconds * 1000)) return 'capped';
    state.granted.add(promotionId);
    state.lastGrant.set(memberId, now);
    if (live) state.live.add(promotionId);
    return 'ok';
  }

  async settle(memberId: string, promotionId: string, outcome: 'delivered' | 'dropped', now: number): Promise<void> {
    checkId('memberId', memberId);
    checkPromotionId(promotionId);
    checkEpochMs('now', now);
    const entry = this.inboxes.get(memberId)?.get(promotionId);
    if (!entry) return;
    if (entry.settled === undefined) {
      entry.settled = outcome;
      delete entry.leaseUntil;
      if (outcome === 'delivered') entry.deliveredAt = now;
    }
    if (entry.settled === 'dropped') this.stateOf(entry.promotion.campaignId).dropped.add(promotionId);
  }

  async delivered(memberId: string, limit: number): Promise<DeliveredPromotion[]> {
    checkId('memberId', memberId);
    checkLimit(limit, 1000);
    return [...(this.inboxes.get(memberId)?.values() ?? [])]
      .filter((entry): entry is InboxEntry & { deliveredAt: number } => entry.deliveredAt !== undefined)
      .sort((a, b) => b.deliveredAt - a.deliveredAt || byteOrder(b.promotion.promotionId, a.promotion.promotionId))
      .slice(0, limit)
      .map(({ promotion, deliveredAt }) => ({
        promotionId: promotion.promotionId,
        campaignId: promotion.campaignId,
        title: promotion.title,
        deliveredAt,
        ...(promotion.coupon ? { couponCode: promotion.coupon.code } : {}),
      }));
  }

  async recordRedemption(campaignId: string, code: string): Promise<void> {
    checkId('campaignId', campaignId);
    this.stateOf(campaignId).redeemedCodes.add(code);
  }

  async counts(campaignId: string): Promise<CampaignCounts> {
    const state = this.states.get(checkId('campaignId', campaignId));
    if (!state) return { targeted: 0, delivered: 0, dropped: 0, redeemed: 0, live: 0 };
    return {
      targeted: state.targeted.size,
      delivered: state.granted.size,
      dropped: state.dropped.size,
      redeemed: state.redeemedCodes.size,
      live: state.live.size,
    };
  }

  async fanOutDone(campaignId: string, partition: number): Promise<boolean> {
    checkId('campaignId', campaignId);
    return this.states.get(campaignId)?.fanOutDone.has(checkPartition(partition)) ?? false;
  }

  async markFanOutDone(campaignId: string, partition: number): Promise<void> {
    checkId('campaignId', campaignId);
    this.stateOf(campaignId).fanOutDone.add(checkPartition(partition));
  }

  async armTimer(partition: number, timer: CartTimer): Promise<void> {
    checkPartition(partition);
    checkTimer(timer);
    this.timersOf(partition).set(timerKey(timer.campaignId, timer.memberId), { ...timer });
  }

  async disarmTimers(partition: number, memberId: string, campaignIds: readonly string[]): Promise<void> {
    checkPartition(partition);
    checkId('memberId', memberId);
    for (const campaignId of campaignIds) checkId('campaignId', campaignId);
    const timers = this.timers.get(partition);
    for (const campaignId of campaignIds) timers?.delete(timerKey(campaignId, memberId));
  }

  async dueTimers(partition: number, now: number, limit: number): Promise<CartTimer[]> {
    checkPartition(partition);
    checkEpochMs('now', now);
    checkLimit(limit, 1000);
    return [...(this.timers.get(partition)?.entries() ?? [])]
      .filter(([, timer]) => timer.dueAt <= now)
      .sort(([keyA, a], [keyB, b]) => a.dueAt - b.dueAt || byteOrder(keyA, keyB))
      .slice(0, limit)
      .map(([, timer]) => ({ ...timer }));
  }

  async removeTimer(partition: number, timer: CartTimer): Promise<void> {
    checkPartition(partition);
    checkTimer(timer);
    const timers = this.timers.get(partition);
    const key = timerKey(timer.campaignId, timer.memberId);
    const current = timers?.get(key);
    if (current && current.dueAt === timer.dueAt && current.eventId === timer.eventId) timers?.delete(key);
  }

  private stateOf(campaignId: string): CampaignState {
    let state = this.states.get(campaignId);
    if (!state) {
      state = {
        targeted: new Set(),
        granted: new Set(),
        dropped: new Set(),
        live: new Set(),
        redeemedCodes: new Set(),
        lastGrant: new Map(),
        fanOutDone: new Set(),
      };
      this.states.set(campaignId, state);
    }
    return state;
  }

  private inboxOf(memberId: string): Map<string, InboxEntry> {
    let inbox = this.inboxes.get(memberId);
    if (!inbox) {
      inbox = new Map();
      this.inboxes.set(memberId, inbox);
    }
    return inbox;
  }

  private timersOf(partition: number): Map<string, CartTimer> {
    let timers = this.timers.get(partition);
    if (!timers) {
      timers = new Map();
      this.timers.set(partition, timers);
    }
    return timers;
  }
}
