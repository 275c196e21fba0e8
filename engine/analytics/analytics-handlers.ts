import type { z } from 'zod';
import {
  OverviewQuerySchema,
  ProfileQuerySchema,
  SegmentsQuerySchema,
  type AnalyticsOverview,
  type CounterWindow,
  type SegmentList,
} from '../contracts/analytics.js';
import { campaignStatus } from '../contracts/campaigns.js';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { RpcMethod } from '../contracts/messages.js';
import { IdSchema, zodDetails } from '../contracts/schemas.js';
import { brandKey } from '../shoppers/logic/affinity.js';
import { assembleProfile } from '../shoppers/logic/profile.js';
import { BRAND_LOYAL_PREFIX, type SegmentThresholds } from '../shoppers/logic/segments.js';
import { bucketsEndingAt, DAY_MS, dayOf, hourOf, HOUR_MS, segmentRanges } from './logic/shop-analytics.js';
import { categoryLevels } from '../../models/content-encoder.js';
import type { CampaignStore } from '../campaigns/campaign-store.js';
import type { InteractionStats } from '../recommend/interaction-stats.js';
import type { MemberStore } from '../members/member-store.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';
import type { CounterTotals, ShopAnalytics } from './shop-analytics.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';
import type { CatalogService } from '../catalog/catalog-service.js';

export interface AnalyticsHandlerDeps {
  analytics: ShopAnalytics;
  users: UserStateStore;
  /** Member records (tier, creation: `new`); without it every user profiles as a non-member. */
  members?: MemberStore;
  catalog: CatalogService;
  stats: InteractionStats;
  /** The campaigns summary of the overview; null without it. */
  campaigns?: CampaignStore;
  thresholds: SegmentThresholds;
  affinityHalfLifeSeconds: number;
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** The engine's clock (epoch ms): `at` when the request gives none. */
  now?: () => number;
}

/** Categories and brands in a profile and in the overview's popular lists. */
const TOP = 10;
/** Most popular items the overview's popular categories and brands are summed over. */
const POPULAR_SCAN = 200;
/** Campaigns summed in the overview (newest first). */
const CAMPAIGN_SCAN = 1000;

/** Parses a request or throws `invalid_request` naming the fields. */
function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new PulseError(ErrorCodes.invalidRequest, `invalid ${what}`, zodDetails(parsed.error));
}

/**
 * Registers `analytics.profile`, `analytics.segments` and `analytics.overview` (the gateway checks
 * roles; requests are validated again here). Profiles read the user state and member record;
 * segment sizes and the overview read the ShopAnalytics index (range counts and bucket sums,
 * no scan of the shoppers), the popularity aggregate and the campaigns.
 */
export function registerAnalyticsHandlers(server: RpcServer, deps: AnalyticsHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  const prices = catalogPrices(deps.catalog);

  server.serve(
    'analytics.profile',
    wrap('analytics.profile', async (request) => {
      const userId = parse(IdSchema, request.userId, 'userId');
      const { at = now() } = parse(ProfileQuerySchema, request.at === undefined ? {} : { at: request.at }, 'profile request');
      const [state, member] = await Promise.all([deps.users.load(userId), deps.members?.get(userId)]);
      if (state.version === 0 && !member) throw new PulseError(ErrorCodes.notFound, `no shopper ${userId}`);
      return assembleProfile(userId, state, member, at, {
        thresholds: deps.thresholds,
        affinityHalfLifeSeconds: deps.affinityHalfLifeSeconds,
        top: TOP,
        priceOf: (itemId) => deps.catalog.get(itemId)?.price,
        catalogPrices: prices(),
      });
    }),
  );

  server.serve(
    'analytics.segments',
    wrap('analytics.segments', async (request) => {
      const { at = now(), limit } = parse(SegmentsQuerySchema, request, 'segments request');
      return segmentList(deps, at, limit);
    }),
  );

  server.serve(
    'analytics.overview',
    wrap('analytics.overview', async (request) => {
      const { at = now() } = parse(OverviewQuerySchema, request, 'overview request');
      return overview(deps, at);
    }),
  );
}

async function segmentList(deps: AnalyticsHandlerDeps, at: number, limit: number): Promise<SegmentList> {
  const [counts, population] = await Promise.all([
    deps.analytics.segmentCounts(segmentRanges(at, deps.thresholds), limit),
    deps.analytics.population(),
  ]);
  const segments = [
    ...(['new', 'active', 'lapsing', 'big_spender'] as const).map((segment) => ({ segment: segment as string, size: counts[segment] })),
    ...counts.brandLoyal.map(({ brand, size }) => ({ segment: BRAND_LOYAL_PREFIX + brand, size })),
  ].sort((a, b) => b.size - a.size || (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0));
  return {
    at,
    thresholds: deps.thresholds,
    segments,
    loyalBrands: counts.loyalBrands,
    shoppers: population.shoppers,
    members: population.members,
  };
}

async function overview(deps: AnalyticsHandlerDeps, at: number): Promise<AnalyticsOverview> {
  const { analytics } = deps;
  const hour = hourOf(at);
  const day = dayOf(at);
  const hours = bucketsEndingAt(hour, 24);
  const days = bucketsEndingAt(day, 30);
  const [population, last24h, last7d, total, hourly, daily, popular, campaigns] = await Promise.all([
    analytics.population(),
    analytics.activeSince(at - 24 * HOUR_MS),
    analytics.activeSince(at - 7 * DAY_MS),
    analytics.totals(),
    analytics.hours(hours[0]!, hour),
    analytics.days(days[0]!, day),
    popularAttributes(deps),
    campaignSummary(deps.campaigns, at),
  ]);
  return {
    at,
    ...population,
    active: { last24h, last7d },
    counters: { total: window(total), last24h: window(hourly), last30d: window(daily) },
    popular,
    campaigns,
  };
}

function window(totals: CounterTotals): CounterWindow {
  return {
    events: totals.events,
    orders: totals.orders,
    revenue: totals.revenue,
    cancellations: totals.cancellations,
    refunds: totals.refunds,
  };
}

/** Categories (every level) and brands of the POPULAR_SCAN most popular items, their popularity summed, best first. */
async function popularAttributes(deps: AnalyticsHandlerDeps): Promise<AnalyticsOverview['popular']> {
  const categories = new Map<string, number>();
  const brands = new Map<string, number>();
  for (const [itemId, score] of await deps.stats.popular(POPULAR_SCAN)) {
    const item = deps.catalog.get(itemId);
    if (!item) continue;
    for (const level of categoryLevels(item.category)) categories.set(level, (categories.get(level) ?? 0) + score);
    const brand = item.brand === undefined ? '' : brandKey(item.brand);
    if (brand !== '') brands.set(brand, (brands.get(brand) ?? 0) + score);
  }
  const best = (scores: Map<string, number>) => [...scores].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, TOP);
  return {
    categories: best(categories).map(([category, score]) => ({ category, score })),
    brands: best(brands).map(([brand, score]) => ({ brand, score })),
  };
}

/** Campaign counts by status at `at`, and the offers over all of them (the CAMPAIGN_SCAN newest). */
async function campaignSummary(store: CampaignStore | undefined, at: number): Promise<AnalyticsOverview['campaigns']> {
  if (!store) return null;
  const campaigns = await store.list(CAMPAIGN_SCAN);
  const counts = await Promise.all(campaigns.map((campaign) => store.counts(campaign.campaignId)));
  const summary = { total: campaigns.length, running: 0, scheduled: 0, targeted: 0, delivered: 0, redeemed: 0 };
  campaigns.forEach((campaign, i) => {
    const { targeted, delivered, redeemed } = counts[i]!;
    const status = campaignStatus(campaign, delivered, at);
    if (status === 'running') summary.running++;
    if (status === 'scheduled') summary.scheduled++;
    summary.targeted += targeted;
    summary.delivered += delivered;
    summary.redeemed += redeemed;
  });
  return summary;
}

/** Every catalog price ascending, rebuilt when the catalog changed (CatalogService.version). */
function catalogPrices(catalog: CatalogService): () => readonly number[] {
  let version = -1;
  let sorted: number[] = [];
  return () => {
    if (catalog.version !== version) {
      version = catalog.version;
      sorted = catalog
        .ids()
        .map((itemId) => catalog.get(itemId)?.price)
        .filter((price): price is number => price !== undefined)
        .sort((a, b) => a - b);
    }
    return sorted;
  };
}
