import { segmentThresholds } from '../config.js';
import type { EngineDeps } from '../engine-deps.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignStore } from './campaign-store.js';
import { AudienceScanner } from './audience-scanner.js';
import { CampaignBoosts } from './campaign-boosts.js';
import { CampaignFanOut } from './campaign-fan-out.js';
import { CampaignRegistry } from './campaign-registry.js';
import { CampaignTriggers } from './campaign-triggers.js';
import { CartTimerPoller } from './cart-timer-poller.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { PartitionManager } from '../stream/partition-manager.js';
import { PromotionDelivery } from './promotion-delivery.js';

/** How often an engine looks for `now` fan-outs still to do on its partitions (ms): partitions taken over, scheduled starts. */
const FAN_OUT_CHECK_MS = 500;

/** The campaign services, built when the engine has a campaign, member and coupon store. */
export interface CampaignServices {
  store: CampaignStore;
  registry: CampaignRegistry;
  delivery: PromotionDelivery;
  audiences: AudienceScanner;
  fanOut: CampaignFanOut;
  /** event / cart_abandoned / points_reached, run by the event processor. */
  triggers: CampaignTriggers;
  /** Fires the due cart timers of the owned partitions. */
  cartTimers: CartTimerPoller;
  /** Campaign items in members' lists. */
  boosts: CampaignBoosts;
}

/**
 * The campaign services of an engine, or undefined without a campaign, member and coupon store.
 * `owned` gives the engine's partitions; it is called only once the engine runs.
 */
export function createCampaignServices(
  deps: EngineDeps,
  catalog: CatalogService,
  metrics: EngineMetrics,
  owned: () => PartitionManager['owned'],
): CampaignServices | undefined {
  const { campaigns: store, members, coupons, users, notifier, config, logger } = deps;
  if (!store || !members || !coupons) return undefined;
  const registry = new CampaignRegistry({
    store,
    ...(deps.campaignChanges ? { changes: deps.campaignChanges } : {}),
    logger: logger.child({ component: 'campaigns' }),
    reloadMs: config.campaignReloadMs,
  });
  const delivery = new PromotionDelivery({
    store,
    coupons,
    notifier,
    logger: logger.child({ component: 'promotions' }),
    metrics: metrics,
  });
  const audiences = new AudienceScanner({ members, users, audience: { segments: segmentThresholds(config) } });
  const fanOut = new CampaignFanOut({
    registry,
    delivery,
    store,
    audiences,
    owned: owned,
    partitions: config.partitions,
    logger: logger.child({ component: 'campaign-fan-out' }),
    metrics: metrics,
    intervalMs: FAN_OUT_CHECK_MS,
  });
  const audience = { segments: segmentThresholds(config) };
  const triggers = new CampaignTriggers({
    registry,
    delivery,
    timers: store,
    catalog: catalog,
    partitions: config.partitions,
    metrics: metrics,
    logger: logger.child({ component: 'campaign-triggers' }),
    audience,
  });
  const cartTimers = new CartTimerPoller({
    registry,
    delivery,
    timers: store,
    users,
    members,
    owned: owned,
    metrics: metrics,
    logger: logger.child({ component: 'cart-timers' }),
    options: { pollMs: config.cartTimerPollMs },
    audience,
  });
  return { store, registry, delivery, audiences, fanOut, triggers, cartTimers, boosts: new CampaignBoosts(registry, audience) };
}
