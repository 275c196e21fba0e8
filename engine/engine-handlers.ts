import { rpcAdmission, segmentThresholds } from './config.js';
import type { CampaignServices } from './campaigns/campaign-services.js';
import { PulseError } from './contracts/errors.js';
import type { RpcMethod } from './contracts/messages.js';
import type { EngineDeps } from './engine-deps.js';
import { parseRewardCatalogue } from './members/logic/coupons.js';
import type { EngineMetrics } from './metrics.js';
import type { PasswordPool } from './members/adapters/password-pool.js';
import type { RpcHandler } from './platform/rpc.js';
import { registerAnalyticsHandlers } from './analytics/analytics-handlers.js';
import { AnalyticsRecordingMemberStore } from './analytics/analytics-recording-member-store.js';
import { registerCampaignHandlers } from './campaigns/campaign-handlers.js';
import type { CatalogService } from './catalog/catalog-service.js';
import { registerCouponHandlers } from './members/coupon-handlers.js';
import { registerHistoryHandlers } from './members/history-handlers.js';
import { registerMemberHandlers } from './members/member-handlers.js';
import { registerMemberImportHandler } from './members/member-import-handlers.js';
import type { ModelRegistry } from './recommend/model-registry.js';
import { registerOrderHandlers } from './members/order-handlers.js';
import { registerQueryHandlers } from './recommend/query-handlers.js';
import type { Recommender } from './recommend/recommender.js';

/** What an engine's RPC handlers are served from. */
export interface EngineHandlerParts {
  deps: EngineDeps;
  catalog: CatalogService;
  recommender: Recommender;
  models: ModelRegistry;
  metrics: EngineMetrics;
  campaigns: CampaignServices | undefined;
  /** The engine's password pool, made on first call (only when members are served). */
  passwords: () => PasswordPool;
}

/**
 * Serves the gateway's methods: queries always; coupons, history, campaigns, members and
 * analytics when their stores are present. Starts the campaign registry (before its handlers,
 * and before the engine takes partitions, so triggers on the first events see every campaign).
 */
export async function registerEngineHandlers(parts: EngineHandlerParts): Promise<void> {
  const { deps, catalog, recommender, models, metrics, campaigns } = parts;
  const { logger, catalogLog, config } = deps;
  registerQueryHandlers(deps.rpcServer, {
    users: deps.users,
    catalog: catalog,
    catalogLog,
    recommender: recommender,
    models: models,
    tasteHalfLifeSeconds: config.tasteHalfLifeSeconds,
    metrics: metrics,
    ...(deps.members ? { members: deps.members } : {}),
    admission: rpcAdmission(config),
  });
  const wrap =
    <M extends RpcMethod>(method: M, handler: RpcHandler<M>): RpcHandler<M> =>
    async (request, context) => {
      const end = metrics.rpcSeconds.startTimer({ method });
      try {
        return await handler(request, context);
      } catch (err) {
        metrics.errors.inc({ code: err instanceof PulseError ? err.code : 'internal' });
        throw err;
      } finally {
        end();
      }
    };
  if (deps.coupons) {
    registerCouponHandlers(deps.rpcServer, {
      coupons: deps.coupons,
      rewards: parseRewardCatalogue(config.rewards),
      wrap,
      ...(campaigns ? { campaigns: { store: campaigns.store, logger } } : {}),
    });
    if (deps.members) {
      registerHistoryHandlers(deps.rpcServer, {
        members: deps.members,
        coupons: deps.coupons,
        users: deps.users,
        wrap,
        ...(campaigns ? { campaigns: campaigns.store } : {}),
      });
    }
  }
  if (campaigns) {
    // Loaded before partitions are taken: triggers on the first events see every campaign.
    await campaigns.registry.start();
    registerCampaignHandlers(deps.rpcServer, {
      store: campaigns.store,
      registry: campaigns.registry,
      delivery: campaigns.delivery,
      audiences: campaigns.audiences,
      ...(deps.campaignChanges ? { changes: deps.campaignChanges } : {}),
      logger: logger.child({ component: 'campaigns' }),
      wrap,
    });
  }
  if (deps.members) {
    // Members created here (registration, import) join the analytics index as they are stored.
    const analytics = deps.analytics;
    const members = analytics
      ? new AnalyticsRecordingMemberStore(deps.members, analytics, (err, memberId) => {
          logger.warn({ err, memberId }, 'member not added to the analytics index; its first purchase adds it');
          metrics.errors.inc({ code: 'analytics_member_failed' });
        })
      : deps.members;
    registerMemberHandlers(deps.rpcServer, {
      members,
      wrap,
      passwords: parts.passwords(),
      loginThrottle: { failures: config.loginFailuresPerEmail, windowMs: config.loginFailureWindowSeconds * 1000 },
      registrationRetryMs: config.registrationRetrySeconds * 1000,
    });
    registerMemberImportHandler(deps.rpcServer, { members, wrap });
    registerOrderHandlers(deps.rpcServer, {
      members: deps.members,
      catalog: catalog,
      priceTolerance: config.orderPriceTolerance,
      ...(deps.coupons ? { coupons: deps.coupons } : {}),
      wrap,
    });
  }
  if (deps.analytics) {
    registerAnalyticsHandlers(deps.rpcServer, {
      analytics: deps.analytics,
      users: deps.users,
      ...(deps.members ? { members: deps.members } : {}),
      catalog: catalog,
      stats: deps.stats,
      ...(campaigns ? { campaigns: campaigns.store } : {}),
      thresholds: segmentThresholds(config),
      affinityHalfLifeSeconds: config.affinityHalfLifeSeconds,
      wrap,
    });
  }
}
