import type { Logger } from 'pino';
import { partitionOf } from '../contracts/subjects.js';
import type { Campaign } from '../contracts/campaigns.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignStore } from './campaign-store.js';
import type { AudienceScanner } from './audience-scanner.js';
import type { CampaignRegistry } from './campaign-registry.js';
import type { PromotionDelivery } from './promotion-delivery.js';

export interface CampaignFanOutDeps {
  registry: CampaignRegistry;
  delivery: PromotionDelivery;
  store: CampaignStore;
  audiences: AudienceScanner;
  /** Partitions this engine owns now (PartitionManager.owned). */
  owned: () => number[];
  /** PULSE_PARTITIONS. */
  partitions: number;
  logger: Logger;
  metrics?: EngineMetrics;
  /** How often owned partitions are checked for a fan-out still to do (ms): catches partitions taken over and scheduled starts. */
  intervalMs: number;
  now?: () => number;
}

/**
 * The `now` trigger: offers each running `now` campaign to every member of its audience. Each
 * engine does the partitions it owns (a member belongs to partitionOf(memberId)), one scan of
 * the members for all of a campaign's pending partitions, then marks them done in the store, so
 * a partition taken over later (or one whose owner died mid-way) is done by its new owner. Offers
 * are idempotent, so a partition done twice (a handover during a scan) offers nothing twice.
 * Runs after every reload of the campaigns and every `intervalMs`.
 */
export class CampaignFanOut {
  /** `<campaignId> <partition>` known to be done: never asked again. */
  private readonly done = new Set<string>();
  /** `<campaignId> <partition>` being fanned out by this engine now. */
  private readonly inFlight = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly lifetime = new AbortController();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private checking = false;
  private checkAgain = false;

  constructor(private readonly deps: CampaignFanOutDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stopListening = this.deps.registry.onReload(() => this.check());
    this.timer = setInterval(() => this.check(), this.deps.intervalMs);
    this.timer.unref();
    this.check();
  }

  /** Starts the fan-outs that are due and not running; returns at once. A call during a check makes one more after it. */
  check(): void {
    if (this.lifetime.signal.aborted) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    const work = (async () => {
      do {
        this.checkAgain = false;
        try {
          await this.startDue();
        } catch (err) {
          this.deps.logger.warn({ err }, 'campaign fan-out check failed; retrying at the next one');
          this.deps.metrics?.errors.inc({ code: 'campaign_fan_out' });
        }
      } while (this.checkAgain && !this.lifetime.signal.aborted);
    })().finally(() => (this.checking = false));
    this.track(work);
  }

  /** Resolves when every fan-out started so far has ended (tests, close). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Stops the timer, aborts running scans (their partitions stay not done) and waits for them. Idempotent. */
  async close(): Promise<void> {
    this.lifetime.abort();
    if (this.timer) clearInterval(this.timer);
    this.stopListening?.();
    await this.idle();
  }

  private async startDue(): Promise<void> {
    const owned = this.deps.owned();
    if (owned.length === 0) return;
    for (const campaign of this.deps.registry.running(this.now(), 'now')) {
      const unknown = owned.filter(
        (partition) => !this.done.has(`${campaign.campaignId} ${partition}`) && !this.inFlight.has(`${campaign.campaignId} ${partition}`),
      );
      const markers = await Promise.all(unknown.map((partition) => this.deps.store.fanOutDone(campaign.campaignId, partition)));
      const pending: number[] = [];
      for (const [i, partition] of unknown.entries()) {
        if (markers[i]) this.done.add(`${campaign.campaignId} ${partition}`);
        else pending.push(partition);
      }
      if (pending.length === 0 || this.lifetime.signal.aborted) continue;
      for (const partition of pending) this.inFlight.add(`${campaign.campaignId} ${partition}`);
      this.track(this.fanOut(campaign, pending));
    }
  }

  /** One scan for the campaign's pending partitions; each is marked done once the scan has finished. */
  private async fanOut(campaign: Campaign, partitions: number[]): Promise<void> {
    const { audiences, delivery, store, logger } = this.deps;
    const wanted = new Set(partitions);
    const started = performance.now();
    try {
      let offered = 0;
      const { scanned, matched } = await audiences.scan(campaign.audience, this.now(), {
        include: (memberId) => wanted.has(partitionOf(memberId, this.deps.partitions)),
        onMatch: async (memberId) => {
          if (await delivery.offer(campaign, memberId, {}, this.now())) offered++;
        },
        signal: this.lifetime.signal,
      });
      if (this.lifetime.signal.aborted) return;
      await Promise.all(partitions.map((partition) => store.markFanOutDone(campaign.campaignId, partition)));
      for (const partition of partitions) this.done.add(`${campaign.campaignId} ${partition}`);
      logger.info(
        { campaignId: campaign.campaignId, partitions, scanned, matched, offered, ms: Math.round(performance.now() - started) },
        'campaign fanned out',
      );
    } catch (err) {
      logger.warn({ err, campaignId: campaign.campaignId, partitions }, 'campaign fan-out failed; retried at the next check');
      this.deps.metrics?.errors.inc({ code: 'campaign_fan_out' });
    } finally {
      for (const partition of partitions) this.inFlight.delete(`${campaign.campaignId} ${partition}`);
    }
  }

  private track(work: Promise<void>): void {
    this.tasks.add(work);
    void work.finally(() => this.tasks.delete(work));
  }
}
