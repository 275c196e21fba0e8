import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EngineConfig } from '../../engine/config.js';
import { Engine } from '../../engine/engine.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { GatewayConfig } from '../../gateway/config.js';
import { TokenService, tokenPolicyOf } from '../../gateway/auth.js';
import { Gateway, type ReadinessReport } from '../../gateway/main.js';
import type { Infrastructure } from './infrastructure.js';
import { registerPersistenceMetrics } from '../../engine/platform/mod.js';
import { generateDemoCatalog } from '../../engine/catalog/mod.js';
import { PasswordPool } from '../../engine/members/mod.js';
import { itemIndexFactory, shopperIndexFactory } from '../../engine/recommend/mod.js';

/**
 * Builds an engine on connected infrastructure (which must include state): the one place where
 * the engine role's parts are chosen (with scripts/lib/infrastructure.ts for the connections).
 */
export function createEngine(config: EngineConfig, infra: Infrastructure, logger: Logger, defaultMetrics: boolean): Engine {
  if (!infra.state) throw new Error('the engine needs the state store: connect with `state` options');
  const { transport, state } = infra;
  // Follows the gateways' presence announcements and asks them for a beat now (until the transport closes).
  const presence = transport.presence.follow();
  const metrics = new EngineMetrics({ defaultMetrics });
  metrics.countPresentUsers(() => presence.count());
  const persistence = infra.persistence;
  if (persistence) registerPersistenceMetrics(metrics.registry, persistence);
  const engine = new Engine({
    config,
    logger: logger.child({ role: 'engine' }),
    eventSource: transport.eventLog,
    catalogLog: transport.catalogLog,
    notifier: transport.notifier,
    rpcServer: transport.rpcServer,
    users: state.users,
    stats: state.stats,
    leases: state.leases,
    members: state.members,
    coupons: state.coupons,
    campaigns: state.campaigns,
    analytics: state.analytics,
    ...(state.coalesceWrites ? { coalesceWrites: state.coalesceWrites } : {}),
    // New models are announced on NATS; the engine loads them from DATA_DIR/models.
    modelAnnouncements: transport.modelAnnouncements,
    // Campaign changes are announced on NATS; every engine reloads its copy.
    campaignChanges: transport.campaignChanges,
    metrics,
    presence,
    // HNSW for the items of each model and for "shoppers like you" (a cheaper graph).
    createIndex: itemIndexFactory(config),
    createShopperIndex: shopperIndexFactory(config),
    // Password hashing in worker threads with a bounded, fair, deadline-aware queue (closed with the engine).
    createPasswordPool: () =>
      new PasswordPool({
        workers: config.passwordWorkers,
        queueLimit: config.passwordQueueLimit,
        clientQueueLimit: config.passwordClientQueueLimit,
        logger: logger.child({ role: 'engine', component: 'passwords' }),
      }),
    // An empty shop starts with the demo catalog unless DEMO_CATALOG=false.
    ...(config.demoCatalog ? { seedCatalog: () => generateDemoCatalog() } : {}),
    // What gateways cannot see themselves (Redis and its persistence), answered to `engine.ping`.
    health: () => infra.checks(),
  });
  if (config.demoCatalog) seedingEngines.add(engine);
  return engine;
}

/** Engines that put the demo catalog on an empty shop: ready once its items are in the index. */
const seedingEngines = new WeakSet<Engine>();

/**
 * Readiness of a process ("can serve"): its connections, plus, when it runs an engine, that the
 * engine has started (catalog replayed, partitions taken). An empty catalog is ready too (a shop
 * may load its catalog through the API after start, DEMO_CATALOG=false): the item count and model
 * are the detail.
 */
export function readiness(infra: Infrastructure, engine?: Engine): () => Promise<ReadinessReport> {
  return async () => {
    const checks = infra.checks();
    if (engine) {
      const status = engine.status();
      checks.engine = { ok: status.ready, detail: status.ready ? `partitions ${status.partitions.join(',') || 'none'}` : 'starting' };
      const building = status.modelBuilding !== undefined ? ` (building ${status.modelBuilding})` : '';
      // With DEMO_CATALOG the seed items reach the index just after the start: wait for them.
      const seeding = seedingEngines.has(engine) && status.catalogItems === 0;
      checks.index = { ok: status.ready && !seeding, detail: `${status.catalogItems} items, model ${status.modelVersion}${building}` };
      return { ready: Object.values(checks).every((c) => c.ok), checks, model: status.model };
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}

export function createGateway(
  config: GatewayConfig,
  infra: Infrastructure,
  logger: Logger,
  options: { engine?: Engine; extraMetrics?: Registry },
): Gateway {
  // Resolved by the command first (scripts/lib/auth-secret.ts: AUTH_SECRET or the one kept under DATA_DIR).
  if (!config.authSecret) throw new Error('createGateway needs config.authSecret: resolve it with resolveAuthSecret()');
  const tokens = new TokenService(config.authSecret, tokenPolicyOf(config));
  return new Gateway({
    config,
    logger: logger.child({ role: 'gateway' }),
    eventLog: infra.transport.eventLog,
    // Dead letters live on NATS next to EVENTS; the admin routes reach them directly.
    deadLetters: infra.transport.deadLetters,
    rpc: infra.transport.rpcClient,
    push: infra.transport.pushSubscriber,
    presence: infra.transport.presence,
    tokens,
    readiness: readiness(infra, options.engine),
    // A gateway without an engine in its process asks one over NATS whether it runs (and can reach
    // Redis); with one in-process, readiness() already reports the engine, Redis and persistence.
    probeEngine: !options.engine,
    // Rate counts and socket caps shared with the other gateways, unless Redis is the in-process fake.
    ...(infra.mode.redis === 'embedded' ? {} : { limitsRedisUrl: config.redisUrl }),
    ...(options.extraMetrics ? { metrics: options.extraMetrics } : {}),
  });
}
