import type { Logger } from 'pino';
import { matchesAudience, type AudienceOptions } from './logic/audience.js';
import { cartAtFire, cartStillAbandoned } from './logic/triggers.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignStore, CartTimer } from './campaign-store.js';
import type { MemberStore } from '../members/member-store.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';
import type { CampaignRegistry } from './campaign-registry.js';
import type { PromotionDelivery } from './promotion-delivery.js';

export interface CartTimerPollerOptions {
  /** Time between two polls (ms): CART_TIMER_POLL_MS. */
  pollMs: number;
  /** Due timers read per partition per poll. Default 200. */
  batch?: number;
}

export interface CartTimerPollerDeps {
  registry: Pick<CampaignRegistry, 'get' | 'running'>;
  delivery: Pick<PromotionDelivery, 'offer'>;
  timers: Pick<CampaignStore, 'dueTimers' | 'removeTimer'>;
  users: Pick<UserStateStore, 'load'>;
  members: Pick<MemberStore, 'get'>;
  /** The partitions this engine consumes now (PartitionManager.owned): their timers are its own. */
  owned: () => readonly number[];
  metrics: EngineMetrics;
  logger: Logger;
  options: CartTimerPollerOptions;
  /** Segment thresholds for audiences (`segmentThresholds(config)`); default the documented ones. */
  audience?: AudienceOptions;
  now?: () => number;
}

/** A failing poll waits this long at most before the next one (ms): doubling from pollMs. */
const MAX_BACKOFF_MS = 5000;
/** A due timer of a campaign this engine has never loaded waits (a reload lag) this long before it is dropped (ms). */
const UNKNOWN_CAMPAIGN_GRACE_MS = 60_000;
const DEFAULT_BATCH = 200;

/**
 * Fires the `cart_abandoned` timers of the partitions this engine owns. Timers live in the
 * CampaignStore (Redis), so they survive a restart and move with their partition: the new owner
 * finds the overdue ones at its first poll. For each due timer: the campaign must still run, the
 * member's current state (UserStateStore.load) must still hold an abandoned cart and the audience
 * must still match; then it offers (promotionId `<campaignId>:<memberId>:<arming eventId>`) and
 * removes the timer, in that order: a crash in between fires it again, and the offer, idempotent
 * by promotionId, counts once. Two owners during a handover do the same.
 *
 * A purchase applied while its timer is being fired (within one poll) may not stop that offer.
 * While no `cart_abandoned` campaign runs, nothing is read from Redis.
 */
export class CartTimerPoller {
  private readonly now: () => number;
  private readonly batch: number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly deps: CartTimerPollerDeps) {
    if (!(deps.options.pollMs >= 1)) throw new RangeError(`pollMs must be >= 1, got ${deps.options.pollMs}`);
    this.now = deps.now ?? Date.now;
    this.batch = deps.options.batch ?? DEFAULT_BATCH;
  }

  start(signal?: AbortSignal): void {
    if (this.closed || this.timer) return;
    signal?.addEventListener('abort', () => void this.close(), { once: true });
    this.schedule(this.deps.options.pollMs);
  }

  /** One poll over every owned partition; resolves with the timers handled (fired or removed). */
  async pollOnce(): Promise<number> {
    const now = this.now();
    if (this.deps.registry.running(now, 'cart_abandoned').length === 0) return 0;
    const counts = await Promise.all(this.deps.owned().map((partition) => this.pollPartition(partition, now)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Stops polling after the poll in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce()
        .then(() => {
          this.failures = 0;
        })
        .catch((err: unknown) => {
          this.failures++;
          // Once per outage, not once per poll.
          if (this.failures === 1) this.deps.logger.warn({ err }, 'cart timer poll failed; backing off');
          this.deps.metrics.errors.inc({ code: 'cart_timer_poll' });
        })
        .finally(() => {
          this.polling = undefined;
          this.schedule(Math.min(MAX_BACKOFF_MS, this.deps.options.pollMs * 2 ** Math.min(this.failures, 10)));
        });
    }, delayMs);
    this.timer.unref();
  }

  private async pollPartition(partition: number, now: number): Promise<number> {
    const due = await this.deps.timers.dueTimers(partition, now, this.batch);
    const handled = await Promise.all(due.map((timer) => this.fire(partition, timer, now)));
    return handled.filter(Boolean).length;
  }

  /** Checks and fires one due timer; false when it was left for a later poll. Throws on store failures. */
  private async fire(partition: number, timer: CartTimer, now: number): Promise<boolean> {
    const { registry, timers, metrics } = this.deps;
    const campaign = registry.get(timer.campaignId, now);
    if (!campaign) {
      // Armed by an engine that loaded the campaign before this one did: wait for the reload.
      if (now - timer.dueAt < UNKNOWN_CAMPAIGN_GRACE_MS) return false;
      await timers.removeTimer(partition, timer);
      return true;
    }
    const trigger = campaign.trigger;
    if (campaign.status !== 'running' || trigger.type !== 'cart_abandoned') {
      await timers.removeTimer(partition, timer);
      metrics.triggers.inc({ trigger: 'cart_abandoned', outcome: 'expired' });
      return true;
    }
    const [state, member] = await Promise.all([this.deps.users.load(timer.memberId), this.deps.members.get(timer.memberId)]);
    if (
      member &&
      cartStillAbandoned(trigger, timer, cartAtFire(state)) &&
      matchesAudience(campaign.audience, member, state, now, this.deps.audience)
    ) {
      const fresh = await this.deps.delivery.offer(campaign, timer.memberId, { eventId: timer.eventId }, now);
      if (fresh) metrics.triggers.inc({ trigger: 'cart_abandoned', outcome: 'fired' });
    } else {
      metrics.triggers.inc({ trigger: 'cart_abandoned', outcome: 'expired' });
    }
    await timers.removeTimer(partition, timer);
    return true;
  }
}
