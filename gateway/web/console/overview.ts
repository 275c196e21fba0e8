import { describeServingModel } from '../../../engine/contracts/model-info.js';
import { describeFailure, byId, el, formatCount, type AnalyticsOverview, type ConsoleApi } from './api.js';

/** The overview numbers (`GET /v1/analytics/overview`): shoppers, members by tier, activity, the last 24 hours, campaigns. */
export function overviewNumbers(overview: AnalyticsOverview): Array<[term: string, value: string, detail?: string]> {
  const day = overview.counters.last24h;
  const events24h = Object.values(day.events).reduce((a, b) => a + (b ?? 0), 0);
  const tiers = overview.membersByTier;
  const numbers: Array<[term: string, value: string, detail?: string]> = [
    ['Shoppers', formatCount(overview.shoppers)],
    [
      'Members',
      formatCount(overview.members),
      `${formatCount(tiers.regular)} regular, ${formatCount(tiers.vip)} VIP, ${formatCount(tiers.enterprise)} enterprise`,
    ],
    ['Active, 24 h / 7 days', `${formatCount(overview.active.last24h)} / ${formatCount(overview.active.last7d)}`],
    ['Events, 24 h', formatCount(events24h)],
    ['Orders, 24 h', formatCount(day.orders)],
    ['Revenue, 24 h', day.revenue.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })],
  ];
  if (overview.campaigns) {
    const c = overview.campaigns;
    numbers.push(
      ['Campaigns running / scheduled', `${formatCount(c.running)} / ${formatCount(c.scheduled)}`],
      ['Offers delivered / redeemed', `${formatCount(c.delivered)} / ${formatCount(c.redeemed)}`],
    );
  }
  return numbers;
}

/** Reads and draws the overview and the serving model's line; a refusal is shown in the panel. */
export async function loadOverview(api: ConsoleApi): Promise<void> {
  await Promise.all([loadNumbers(api), loadModelLine(api)]);
}

/** "Model <version>, trained <date>, HR@20 x, MRR@20 y on n held-out", from /readyz. */
async function loadModelLine(api: ConsoleApi): Promise<void> {
  const line = byId('overview-model');
  try {
    const { model } = await api.readiness();
    line.textContent = model ? describeServingModel(model) : 'Model: no engine has answered yet';
  } catch (err) {
    line.textContent = `Model unknown: ${describeFailure(err)}`;
  }
}

async function loadNumbers(api: ConsoleApi): Promise<void> {
  const status = byId('overview-status');
  try {
    const overview = await api.get<AnalyticsOverview>('/v1/analytics/overview');
    byId('overview-numbers').replaceChildren(
      ...overviewNumbers(overview).map(([term, value, detail]) =>
        el('div', {}, el('dt', {}, term), el('dd', {}, value, ...(detail ? [el('span', { class: 'detail' }, detail)] : []))),
      ),
    );
    status.textContent = `As of ${new Date(overview.at).toLocaleTimeString('en-GB')}`;
  } catch (err) {
    status.textContent = `Overview unavailable: ${describeFailure(err)}`;
  }
}
