import type { Logger } from 'pino';
import { campaignStatus, type Campaign, type TriggerType } from '../contracts/campaigns.js';
import type { CampaignStore, StoredCampaign } from './campaign-store.js';
import type { CampaignChanges } from './campaign-changes.js';
import type { Unsubscribe } from '../platform/notifier.js';

export interface CampaignRegistryDeps {
  store: CampaignStore;
  /** Changes announced by any engine (this one too); without it only the periodic reload runs. */
  changes?: CampaignChanges;
  logger: Logger;
  /** Reload period (ms): heals a missed announcement (CAMPAIGN_RELOAD_MS). */
  reloadMs: number;
}

/** Campaigns read per reload, newest first (the store's maximum). */
const LIST_LIMIT = 10_000;

interface Entry {
  campaign: StoredCampaign;
  /** Deliveries counted at the last reload (budgeted campaigns only): makes "exhausted" visible. */
  delivered: number;
}

/**
 * This engine's copy of every campaign, read from the CampaignStore at start, after every change
 * announced on NATS and every `reloadMs`. Answers in memory, so triggers can ask on each event.
 * The copy may lag the store by one reload: the delivery rules that must be exact (budget, cap,
 * stop) are enforced again by `CampaignStore.reserve` on the stored campaign.
 */
export class CampaignRegistry {
  private entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Unsubscribe | undefined;
  /** The reload in progress, and whether another was asked for meanwhile. */
  private reloading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly deps: CampaignRegistryDeps) {}

  /** Subscribes to changes, loads every campaign (rejects when the store cannot be read), starts the timer. */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.changes?.subscribe(() => void this.reload());
    await this.load();
    this.timer = setInterval(() => void this.reload(), this.deps.reloadMs);
    this.timer.unref();
  }

  /**
   * Reads the campaigns again; coalesced: calls during a reload make one more after it. Resolves
   * when a reload that started after this call has finished. Never rejects (a failure is logged).
   */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reloading) {
      // The loop below runs once more before the promise settles.
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        try {
          await this.load();
        } catch (err) {
          this.deps.logger.warn({ err }, 'reloading campaigns failed; keeping the last copy');
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Calls `listener` after every successful load (the `now` fan-out runs then). */
  onReload(listener: () => void): Unsubscribe {
    const entry = () => listener();
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Campaigns running at `now` (started, not ended, stopped or out of budget), optionally of one trigger type. */
  running(now: number, type?: TriggerType): Campaign[] {
    const result: Campaign[] = [];
    for (const entry of this.entries.values()) {
      if (type !== undefined && entry.campaign.trigger.type !== type) continue;
      const campaign = withStatus(entry, now);
      if (campaign.status === 'running') result.push(campaign);
    }
    return result;
  }

  /** The campaign as last loaded, with its status at `now`; undefined when this engine has not seen it. */
  get(campaignId: string, now: number = Date.now()): Campaign | undefined {
    const entry = this.entries.get(campaignId);
    return entry ? withStatus(entry, now) : undefined;
  }

  /** Stops the timer and the subscription. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async load(): Promise<void> {
    const { store } = this.deps;
    const campaigns = await store.list(LIST_LIMIT);
    const now = Date.now();
    const next = new Map<string, Entry>();
    await Promise.all(
      campaigns.map(async (campaign) => {
        // Only a budget needs the count, and only while the campaign could still deliver.
        const open =
          campaign.budget !== undefined && campaign.stoppedAt === undefined && (campaign.endsAt === undefined || campaign.endsAt > now);
        const delivered = open ? (await store.counts(campaign.campaignId)).delivered : 0;
        next.set(campaign.campaignId, { campaign, delivered });
      }),
    );
    if (this.closed) return;
    // Keep the store's order (newest first) rather than the order the counts came back in.
    this.entries = new Map(campaigns.map((campaign) => [campaign.campaignId, next.get(campaign.campaignId)!]));
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.deps.logger.error({ err }, 'campaign reload listener failed');
      }
    }
  }
}

function withStatus(entry: Entry, now: number): Campaign {
  return { ...entry.campaign, status: campaignStatus(entry.campaign, entry.delivered, now) };
}
