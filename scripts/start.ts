/**
 * `npm start`: gateway and engine in one process on PORT. Connects to NATS and Redis at their
 * URLs; where one is unreachable and its URL was not set, runs on the in-process fake instead.
 */
import { loadEngineConfig } from '../engine/config.js';
import { loadAll } from '../engine/contracts/env.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { connectInfrastructure, type Infrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createEngine, createGateway } from './lib/roles.js';
import { TokenService } from '../gateway/auth.js';
import { logAuthSecret, resolveAuthSecret, type ResolvedAuthSecret } from './lib/auth-secret.js';
import { failStartup, loadConfigOrExit } from './lib/startup.js';

/** Lifetime of the console link `npm start` prints when AUTH_SECRET is the development one. */
const CONSOLE_TOKEN_TTL_S = 8 * 3600;

// Both roles' variables, every problem at once (one line each on stderr, exit 1).
const [engineConfig, gatewayConfig] = loadConfigOrExit('pulse', () => loadAll(loadEngineConfig, loadGatewayConfig));
const logger = createLogger('pulse', engineConfig.logLevel);

let auth: ResolvedAuthSecret;
try {
  auth = resolveAuthSecret({
    configured: gatewayConfig.authSecret,
    dataDir: gatewayConfig.dataDir,
    production: process.env.NODE_ENV === 'production',
  });
} catch (err) {
  failStartup('pulse', err);
}
logAuthSecret(logger, auth);

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
  // environment that cannot be reached: one line on stderr, no stack or cause dump.
  failStartup('pulse', err);
}
const engine = createEngine(engineConfig, infra, logger, false);
const gateway = createGateway({ ...gatewayConfig, authSecret: auth.secret }, infra, logger, {
  engine,
  extraMetrics: engine.metrics.registry,
});

closeOnSignals(logger, () => closeAll([() => gateway.close(), () => engine.close(), () => infra.close()]), gatewayConfig.shutdownTimeoutMs);
await engine.start();
await gateway.start();
logger.info(
  { url: `http://localhost:${gateway.port}`, nats: infra.mode.nats, redis: infra.mode.redis },
  'Pulse is up: open the URL and click products',
);
if (auth.source !== 'env') {
  // The development secret: hand out the console's way in (`npm run token -- --role marketing` works too).
  const token = await new TokenService(auth.secret).sign({ sub: 'console', role: 'marketing' }, CONSOLE_TOKEN_TTL_S);
  logger.info(
    { console: `http://localhost:${gateway.port}/console#token=${token}`, ttlHours: CONSOLE_TOKEN_TTL_S / 3600 },
    'marketing console: open this link (a marketing token)',
  );
}
