import type { Logger } from 'pino';
import type { Campaign, TriggerType } from '../contracts/campaigns.js';
import type { Item, StoredEvent } from '../contracts/schemas.js';
import { partitionOf } from '../contracts/subjects.js';
import { matchesAudience, type AudienceOptions } from './logic/audience.js';
import {
  cartLines,
  cartTimerArmedBy,
  disarmsCartTimers,
  eventTriggerFires,
  pointsReached,
  type ItemAttributesOf,
} from './logic/triggers.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignStore } from './campaign-store.js';
import type { StoredMember } from '../members/member-store.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { CampaignRegistry } from './campaign-registry.js';
import type { PromotionDelivery } from './promotion-delivery.js';

export interface CampaignTriggersDeps {
  /** Running campaigns, in memory: an event no running campaign concerns costs no I/O. */
  registry: Pick<CampaignRegistry, 'running'>;
  delivery: Pick<PromotionDelivery, 'offer'>;
  timers: Pick<CampaignStore, 'armTimer' | 'disarmTimers'>;
  /** Item attributes for category and brand criteria (the engine's catalog copy). */
  catalog: { get(itemId: string): Item | undefined };
  /** PULSE_PARTITIONS: a member's timers live on the member's event partition. */
  partitions: number;
  metrics: EngineMetrics;
  logger: Logger;
  /** Segment thresholds for audiences (`segmentThresholds(config)`); default the documented ones. */
  audience?: AudienceOptions;
}

/** What the event processor knows once a live event's effect is stored (or, for a redelivery, as stored). */
export interface AppliedEvent {
  event: StoredEvent;
  /** The user's state with the event applied. */
  state: UserState;
  /** The member record (undefined for a visitor), read at most once per event and only when asked. */
  member: () => Promise<StoredMember | undefined>;
  /** Spendable points around this event's points step (a member's purchase that changed them). */
  points?: { before: number; after: number };
}

/** Event types that can arm or disarm a cart timer. */
const CART_EVENTS = new Set(['add_to_cart', 'remove_from_cart', 'purchase']);

/**
 * Runs the `event`, `cart_abandoned` and `points_reached` triggers after a member's event
 * (logic/triggers.ts says when each fires): offers through PromotionDelivery, arms and disarms cart
 * timers on the member's partition. The due timers are the CartTimerPoller's.
 *
 * A crash after the event's effect was stored and before its offers is mended by the redelivery:
 * the processor runs the `event` and `cart_abandoned` triggers again for a live duplicate, on
 * the stored state, and offers and timers are idempotent (promotion id and timer carry the event
 * id). A failure that is not a crash (logged, counted as `failed`) loses that offer, and so does a
 * crash before a `points_reached` offer (a redelivery no longer knows the points before it); a
 * later matching event fires again (it names a new promotion), a points campaign does not.
 */
export class CampaignTriggers {
  constructor(private readonly deps: CampaignTriggersDeps) {}

  /** Whether a running `event` or `cart_abandoned` campaign concerns this event's type (no I/O). */
  watches(event: StoredEvent, now: number): boolean {
    if (event.type === 'impression') return false;
    const { registry } = this.deps;
    if (CART_EVENTS.has(event.type) && registry.running(now, 'cart_abandoned').length > 0) return true;
    return registry
      .running(now, 'event')
      .some((campaign) => campaign.trigger.type === 'event' && campaign.trigger.eventType === event.type);
  }

  /**
   * Evaluates every trigger the event may concern; never rejects (failures are logged and counted).
   * An impression concerns none: cards shown trigger no campaign (and move no points).
   */
  async afterEvent(applied: AppliedEvent, now: number): Promise<void> {
    const { event } = applied;
    if (event.type === 'impression') return;
    const { registry } = this.deps;
    const onEvent = registry
      .running(now, 'event')
      .filter((campaign) => campaign.trigger.type === 'event' && campaign.trigger.eventType === event.type);
    const onCart = CART_EVENTS.has(event.type) ? registry.running(now, 'cart_abandoned') : [];
    const rose = applied.points !== undefined && applied.points.after > applied.points.before;
    const onPoints = rose ? registry.running(now, 'points_reached') : [];
    if (onEvent.length === 0 && onCart.length === 0 && onPoints.length === 0) return;

    let member: StoredMember | undefined;
    try {
      member = await applied.member();
    } catch (err) {
      this.failed('member', err, event);
      return;
    }
    if (!member) return;
    const steps: Array<Promise<void>> = [];
    for (const campaign of this.firedByEvent(onEvent, applied, member, now)) steps.push(this.offer(campaign, member, event, now, event.id));
    for (const campaign of onPoints) {
      if (
        campaign.trigger.type === 'points_reached' &&
        pointsReached(campaign.trigger, applied.points!.before, applied.points!.after) &&
        this.inAudience(campaign, member, applied.state, now)
      ) {
        steps.push(this.offer(campaign, member, event, now));
      }
    }
    if (onCart.length > 0) steps.push(this.cartTimers(onCart, applied, member, now));
    await Promise.all(steps);
  }

  private firedByEvent(campaigns: Campaign[], applied: AppliedEvent, member: StoredMember, now: number): Campaign[] {
    if (campaigns.length === 0) return [];
    const attributesOf = this.attributesOf();
    return campaigns.filter(
      (campaign) =>
        campaign.trigger.type === 'event' &&
        eventTriggerFires(campaign.trigger, applied.event, applied.state.recent, attributesOf) &&
        this.inAudience(campaign, member, applied.state, now),
    );
  }

  /** Re-arms the member's timers on an add (audience checked now and again when due); disarms on a purchase or an emptied cart. */
  private async cartTimers(campaigns: Campaign[], applied: AppliedEvent, member: StoredMember, now: number): Promise<void> {
    const { event, state } = applied;
    const partition = partitionOf(event.userId, this.deps.partitions);
    const lines = cartLines(state);
    try {
      if (disarmsCartTimers(event, lines)) {
        await this.deps.timers.disarmTimers(
          partition,
          event.userId,
          campaigns.map((campaign) => campaign.campaignId),
        );
        this.deps.metrics.triggers.inc({ trigger: 'cart_abandoned', outcome: 'disarmed' }, campaigns.length);
        return;
      }
      if (lines === 0) return;
      for (const campaign of campaigns) {
        if (campaign.trigger.type !== 'cart_abandoned' || !this.inAudience(campaign, member, state, now)) continue;
        const timer = cartTimerArmedBy(campaign.trigger, campaign.campaignId, event);
        if (!timer) continue;
        await this.deps.timers.armTimer(partition, timer);
        this.deps.metrics.triggers.inc({ trigger: 'cart_abandoned', outcome: 'armed' });
      }
    } catch (err) {
      this.failed('cart_abandoned', err, event);
    }
  }

  private async offer(campaign: Campaign, member: StoredMember, event: StoredEvent, now: number, eventId?: string): Promise<void> {
    try {
      const fresh = await this.deps.delivery.offer(campaign, member.memberId, eventId !== undefined ? { eventId } : {}, now);
      if (fresh) this.deps.metrics.triggers.inc({ trigger: campaign.trigger.type, outcome: 'fired' });
    } catch (err) {
      this.failed(campaign.trigger.type, err, event, campaign.campaignId);
    }
  }

  private failed(trigger: TriggerType | 'member', err: unknown, event: StoredEvent, campaignId?: string): void {
    this.deps.logger.warn(
      { err, trigger, campaignId, eventId: event.id, userId: event.userId },
      'campaign trigger failed; its offer is lost (the event is acked)',
    );
    this.deps.metrics.triggers.inc({ trigger, outcome: 'failed' });
    this.deps.metrics.errors.inc({ code: 'trigger_failed' });
  }

  private inAudience(campaign: Campaign, member: StoredMember, state: UserState, now: number): boolean {
    return matchesAudience(campaign.audience, member, state, now, this.deps.audience);
  }

  private attributesOf(): ItemAttributesOf {
    return (itemId) => this.deps.catalog.get(itemId);
  }
}
