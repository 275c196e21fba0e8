/**
 * `npm start`: gateway and engine in one process on PORT. Connects to NATS and Redis at their
 * URLs; where one is unreachable and its URL was not set, runs on the in-process fake instead.
 */
import { loadEngineConfig } from '../engine/config.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { connectInfrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createEngine, createGateway } from './lib/roles.js';

const engineConfig = loadEngineConfig();
const gatewayConfig = loadGatewayConfig();
const logger = createLogger('pulse', engineConfig.logLevel);

const infra = await connectInfrastructure(engineConfig, {
  logger,
  name: 'pulse',
  allowEmbedded: true,
  ackWaitMs: engineConfig.ackWaitMs,
  state: engineConfig,
});
const engine = createEngine(engineConfig, infra, logger, false);
const gateway = createGateway(gatewayConfig, infra, logger, { engine, extraMetrics: engine.metrics.registry });

closeOnSignals(logger, () => closeAll([() => gateway.close(), () => engine.close(), () => infra.close()]));
await engine.start();
await gateway.start();
logger.info({ url: `http://localhost:${gateway.port}`, nats: infra.mode.nats, redis: infra.mode.redis }, 'Pulse is up: open the URL and click products');
