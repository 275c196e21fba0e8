import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { acceptAudience, acceptCampaign, campaignStatus, type Campaign, type CampaignStats } from '../contracts/campaigns.js';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { RpcMethod } from '../contracts/messages.js';
import { IdSchema, zodDetails } from '../contracts/schemas.js';
import type { CampaignChanges } from './campaign-changes.js';
import type { CampaignStore, StoredCampaign } from './campaign-store.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';
import type { AudienceScanner } from './audience-scanner.js';
import type { CampaignRegistry } from './campaign-registry.js';
import type { PromotionDelivery } from './promotion-delivery.js';

export interface CampaignHandlerDeps {
  store: CampaignStore;
  registry: CampaignRegistry;
  delivery: PromotionDelivery;
  audiences: AudienceScanner;
  /** Tells every engine (this one too) to reload; without it they see the change at their next periodic reload. */
  changes?: CampaignChanges;
  logger: Logger;
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** The engine's clock (epoch ms). */
  now?: () => number;
  randomBytes?: (size: number) => Uint8Array;
}

/** Campaigns listed at most (newest first). */
const LIST_LIMIT = 1000;

const ClaimSchema = z.object({ memberId: IdSchema, live: z.boolean() });
const CreatedBySchema = z.string().min(1).max(200);

/**
 * Registers `campaigns.create`, `.list`, `.get`, `.stop`, `.stats`, `.preview` and
 * `promotions.claim`. Campaigns are read from the store (not this engine's copy), so an answer
 * never lags a change made through another engine.
 */
export function registerCampaignHandlers(server: RpcServer, deps: CampaignHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const random = deps.randomBytes ?? randomBytes;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  const { store } = deps;

  /** The stored campaign with its status (a budgeted one needs its delivery count). */
  const withStatus = async (campaign: StoredCampaign): Promise<Campaign> => {
    const delivered = campaign.budget !== undefined ? (await store.counts(campaign.campaignId)).delivered : 0;
    return { ...campaign, status: campaignStatus(campaign, delivered, now()) };
  };
  const find = async (campaignId: unknown): Promise<StoredCampaign> => {
    // An id that cannot be one names no campaign.
    const id = IdSchema.safeParse(campaignId);
    const campaign = id.success ? await store.get(id.data) : undefined;
    if (!campaign) throw new PulseError(ErrorCodes.notFound, `no campaign ${String(campaignId)}`);
    return campaign;
  };

  server.serve(
    'campaigns.create',
    wrap('campaigns.create', async ({ input, createdBy }) => {
      const at = now();
      const definition = acceptCampaign(input, at);
      const by = CreatedBySchema.safeParse(createdBy);
      if (!by.success) throw new PulseError(ErrorCodes.invalidRequest, 'invalid createdBy', zodDetails(by.error));
      const campaign: StoredCampaign = {
        campaignId: `cmp_${Buffer.from(random(10)).toString('hex')}`,
        ...definition,
        createdAt: at,
        createdBy: by.data,
      };
      await store.create(campaign);
      await announce(deps, campaign.campaignId);
      return { ...campaign, status: campaignStatus(campaign, 0, at) };
    }),
  );

  server.serve(
    'campaigns.list',
    wrap('campaigns.list', async () => ({ campaigns: await Promise.all((await store.list(LIST_LIMIT)).map(withStatus)) })),
  );

  server.serve(
    'campaigns.get',
    wrap('campaigns.get', async ({ campaignId }) => withStatus(await find(campaignId))),
  );

  server.serve(
    'campaigns.stop',
    wrap('campaigns.stop', async ({ campaignId }) => {
      const { campaignId: id } = await find(campaignId);
      const stopped = await store.stop(id, now());
      if (!stopped) throw new PulseError(ErrorCodes.notFound, `no campaign ${id}`);
      await announce(deps, id);
      return withStatus(stopped);
    }),
  );

  server.serve(
    'campaigns.stats',
    wrap('campaigns.stats', async ({ campaignId }) => {
      const campaign = await find(campaignId);
      const counts = await store.counts(campaign.campaignId);
      const stats: CampaignStats = {
        targeted: counts.targeted,
        delivered: counts.delivered,
        queued: Math.max(0, counts.targeted - counts.delivered - counts.dropped),
        redeemed: counts.redeemed,
        live: counts.live,
        status: campaignStatus(campaign, counts.delivered, now()),
      };
      return stats;
    }),
  );

  server.serve(
    'campaigns.preview',
    wrap('campaigns.preview', async ({ audience }) => {
      const { scanned, matched } = await deps.audiences.scan(acceptAudience(audience, now()), now());
      return { size: matched, members: scanned };
    }),
  );

  server.serve(
    'promotions.claim',
    wrap('promotions.claim', async (request) => {
      const parsed = ClaimSchema.safeParse(request);
      if (!parsed.success) throw new PulseError(ErrorCodes.invalidRequest, 'invalid claim', zodDetails(parsed.error));
      return { delivered: await deps.delivery.claim(parsed.data.memberId, parsed.data.live, now()) };
    }),
  );
}

/**
 * Announces a change to every engine and reloads this one's copy at once (its `now` fan-out runs
 * after the reload). The change is stored already: a failed announcement only delays the other
 * engines until their periodic reload, so it is logged, not thrown.
 */
async function announce(deps: CampaignHandlerDeps, campaignId: string): Promise<void> {
  void deps.registry.reload();
  try {
    await deps.changes?.announce({ campaignId });
  } catch (err) {
    deps.logger.warn({ err, campaignId }, 'campaign change not announced; other engines see it at their next reload');
  }
}
