import { describeFailure, byId, el, formatCount, type Campaign, type CampaignStats, type ConsoleApi } from './api.js';

/**
 * The campaign list: every campaign (`GET /v1/campaigns`, newest first) with its status and
 * stats. Stats of running campaigns are polled every second (`GET /v1/campaigns/:id/stats`, the
 * next round after the previous one answered); the list itself is reread every `refreshMs` so
 * scheduled campaigns turn running. A stop button ends a campaign (`DELETE /v1/campaigns/:id`).
 * Each stats block is an aria-live region, and only changed numbers are rewritten.
 */

const STAT_NAMES = ['targeted', 'delivered', 'queued', 'redeemed'] as const;
const STOPPABLE = new Set(['running', 'scheduled']);

/** A short line saying what the trigger is. */
export function describeTrigger(trigger: Campaign['trigger']): string {
  switch (trigger.type) {
    case 'now':
      return 'now';
    case 'event': {
      const what = [
        trigger.category && `in ${trigger.category}`,
        trigger.brand && `of ${trigger.brand}`,
        trigger.itemId && `item ${trigger.itemId}`,
      ]
        .filter(Boolean)
        .join(' ');
      return `${trigger.count} × ${trigger.eventType}${what ? ` ${what}` : ''} within ${Math.round(trigger.withinSeconds / 60)} min`;
    }
    case 'cart_abandoned':
      return `cart abandoned for ${Math.round(trigger.afterSeconds / 60)} min`;
    case 'points_reached':
      return `points reach ${formatCount(trigger.points)}`;
  }
}

/** A short line saying who the audience is. */
export function describeAudience(audience: Campaign['audience']): string {
  const parts = [
    audience.tiers && `tiers ${audience.tiers.join(', ')}`,
    audience.brands && `brands ${audience.brands.join(', ')}`,
    audience.categories && `categories ${audience.categories.join(', ')}`,
    audience.minPoints !== undefined && `${formatCount(audience.minPoints)}+ points`,
    audience.segment && `segment ${audience.segment}`,
  ];
  return parts.filter(Boolean).join('; ');
}

export class CampaignList {
  readonly #api: ConsoleApi;
  readonly #list = byId<HTMLUListElement>('campaign-list');
  readonly #status = byId('campaigns-status');
  readonly #campaigns = new Map<string, Campaign>();
  readonly #statsMs: number;
  readonly #refreshMs: number;
  #statsTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #running = false;

  readonly #onChange: () => void;

  /** `onChange` runs when a campaign's numbers or status changed (the console rereads the overview). */
  constructor(api: ConsoleApi, options: { statsMs?: number; refreshMs?: number; onChange?: () => void } = {}) {
    this.#api = api;
    this.#onChange = options.onChange ?? (() => undefined);
    this.#statsMs = options.statsMs ?? 1000;
    this.#refreshMs = options.refreshMs ?? 10_000;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.load().then(() => this.#pollStats());
    this.#refreshTimer = setInterval(() => void this.load(), this.#refreshMs);
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#statsTimer);
    clearInterval(this.#refreshTimer);
  }

  /** Rereads the list and every campaign's stats once. */
  async load(): Promise<void> {
    try {
      const { campaigns } = await this.#api.get<{ campaigns: Campaign[] }>('/v1/campaigns');
      for (const campaign of campaigns) this.#upsert(campaign);
      this.#status.textContent = campaigns.length ? '' : 'No campaigns yet.';
      await Promise.all(campaigns.map((campaign) => this.#refreshStats(campaign.campaignId)));
    } catch (err) {
      this.#status.textContent = `Campaigns unavailable: ${describeFailure(err)}`;
    }
  }

  /** Shows a campaign just created at the top and starts following its stats. */
  add(campaign: Campaign): void {
    this.#status.textContent = '';
    this.#upsert(campaign);
    void this.#refreshStats(campaign.campaignId);
  }

  async #pollStats(): Promise<void> {
    if (!this.#running) return;
    const running = [...this.#campaigns.values()].filter((campaign) => campaign.status === 'running');
    await Promise.all(running.map((campaign) => this.#refreshStats(campaign.campaignId)));
    if (this.#running) this.#statsTimer = setTimeout(() => void this.#pollStats(), this.#statsMs);
  }

  async #refreshStats(campaignId: string): Promise<void> {
    try {
      const stats = await this.#api.get<CampaignStats>(`/v1/campaigns/${encodeURIComponent(campaignId)}/stats`);
      this.#showStats(campaignId, stats);
    } catch {
      // A failed poll keeps the last numbers; the next round tries again.
    }
  }

  #upsert(campaign: Campaign): void {
    const known = this.#campaigns.get(campaign.campaignId);
    this.#campaigns.set(campaign.campaignId, campaign);
    const existing = this.#list.querySelector<HTMLElement>(`[data-campaign-id="${CSS.escape(campaign.campaignId)}"]`);
    if (existing && known) {
      this.#showStatus(existing, campaign.status);
      return;
    }
    const card = this.#card(campaign);
    // Newest first: the list is ordered by creation.
    const after = [...this.#list.children].find((node) => Number((node as HTMLElement).dataset.createdAt) < campaign.createdAt);
    this.#list.insertBefore(card, after ?? null);
  }

  #card(campaign: Campaign): HTMLLIElement {
    const headingId = `campaign-${campaign.campaignId}`;
    const stats = el('dl', { class: 'stats', 'aria-live': 'polite', 'aria-label': `Stats of ${campaign.name}` });
    for (const name of STAT_NAMES) stats.append(el('div', {}, el('dt', {}, name), el('dd', { 'data-stat': name }, '–')));
    const offer = campaign.offer;
    const coupon = offer.discountPercent !== undefined ? ` · ${offer.discountPercent}% coupon` : '';
    const card = el(
      'li',
      {
        class: 'campaign',
        'data-campaign-id': campaign.campaignId,
        'data-created-at': String(campaign.createdAt),
        'aria-labelledby': headingId,
      },
      el(
        'div',
        { class: 'campaign-head' },
        el('h3', { id: headingId, tabindex: '-1' }, campaign.name),
        el('span', { class: 'badge', 'data-status': campaign.status }, campaign.status),
      ),
      el('p', { class: 'meta' }, `Trigger: ${describeTrigger(campaign.trigger)} · Audience: ${describeAudience(campaign.audience)}`),
      el(
        'p',
        { class: 'meta' },
        `Offer: ${offer.title}${coupon}${campaign.budget !== undefined ? ` · budget ${formatCount(campaign.budget)}` : ''}`,
      ),
      stats,
    );
    if (STOPPABLE.has(campaign.status)) card.append(this.#stopButton(campaign));
    return card;
  }

  #stopButton(campaign: Campaign): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'danger', 'aria-label': `Stop campaign ${campaign.name}` }, 'Stop');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const stopped = await this.#api.delete<Campaign>(`/v1/campaigns/${encodeURIComponent(campaign.campaignId)}`);
        this.#upsert(stopped);
        const card = button.closest<HTMLElement>('[data-campaign-id]');
        button.remove();
        card?.querySelector<HTMLElement>('h3')?.focus();
        void this.#refreshStats(campaign.campaignId);
      } catch (err) {
        button.disabled = false;
        this.#status.textContent = `Could not stop “${campaign.name}”: ${describeFailure(err)}`;
      }
    });
    return button;
  }

  #showStats(campaignId: string, stats: CampaignStats): void {
    const card = this.#list.querySelector<HTMLElement>(`[data-campaign-id="${CSS.escape(campaignId)}"]`);
    if (!card) return;
    let changed = false;
    for (const name of STAT_NAMES) {
      const cell = card.querySelector<HTMLElement>(`[data-stat="${name}"]`)!;
      const value = formatCount(stats[name]);
      if (cell.textContent === value) continue;
      if (cell.textContent !== '–') changed = true;
      cell.textContent = value;
    }
    if (changed) this.#onChange();
    const campaign = this.#campaigns.get(campaignId);
    if (campaign && campaign.status !== stats.status) this.#campaigns.set(campaignId, { ...campaign, status: stats.status });
    this.#showStatus(card, stats.status);
  }

  #showStatus(card: HTMLElement, status: string): void {
    const badge = card.querySelector<HTMLElement>('.badge')!;
    if (badge.dataset.status !== status) {
      badge.dataset.status = status;
      badge.textContent = status;
    }
    if (!STOPPABLE.has(status)) card.querySelector('button.danger')?.remove();
  }
}
