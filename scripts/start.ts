/**
 * `npm start`: gateway and engine in one process on PORT. Connects to NATS and Redis at their
 * URLs; where one is unreachable and its URL was not set, runs on the in-process fake instead.
 */
import { loadEngineConfig } from '../engine/config.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { connectInfrastructure, type Infrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createEngine, createGateway } from './lib/roles.js';
import { TokenService } from '../gateway/auth.js';
import { resolveAuthSecret } from './lib/auth-secret.js';

/** Lifetime of the console link `npm start` prints when AUTH_SECRET is random. */
const CONSOLE_TOKEN_TTL_S = 8 * 3600;

const engineConfig = loadEngineConfig();
const gatewayConfig = loadGatewayConfig();
const logger = createLogger('pulse', engineConfig.logLevel);

let infra: Infrastructure;
try {
  infra = await connectInfrastructure(engineConfig, {
    logger,
    name: 'pulse',
    allowEmbedded: true,
    ackWaitMs: engineConfig.ackWaitMs,
    state: engineConfig,
  });
} catch (err) {
  // A reachable Redis that keeps nothing on disk (REDIS_EPHEMERAL_OK), or a server named in the
  // environment that cannot be reached: one clear line on stderr as well as the log.
  const message = err instanceof Error ? err.message : String(err);
  logger.fatal({ err }, message);
  process.stderr.write(`pulse: ${message}\n`);
  process.exit(1);
}
const engine = createEngine(engineConfig, infra, logger, false);
// Resolved here, not in createGateway, so the console link below can be signed with this run's secret.
const authSecret = resolveAuthSecret(gatewayConfig.authSecret, logger);
const gateway = createGateway({ ...gatewayConfig, authSecret }, infra, logger, { engine, extraMetrics: engine.metrics.registry });

closeOnSignals(logger, () => closeAll([() => gateway.close(), () => engine.close(), () => infra.close()]));
await engine.start();
await gateway.start();
logger.info(
  { url: `http://localhost:${gateway.port}`, nats: infra.mode.nats, redis: infra.mode.redis },
  'Pulse is up: open the URL and click products',
);
if (!gatewayConfig.authSecret) {
  // This run's secret is random, so `npm run token` cannot sign for it: hand out the console's way in.
  const token = await new TokenService(authSecret).sign({ sub: 'console', role: 'marketing' }, CONSOLE_TOKEN_TTL_S);
  logger.info(
    { console: `http://localhost:${gateway.port}/console#token=${token}`, ttlHours: CONSOLE_TOKEN_TTL_S / 3600 },
    'marketing console: open this link (a marketing token of this run)',
  );
}
