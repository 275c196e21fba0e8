/** `npm run gateway`: a gateway alone (stateless; many may run). */
import { loadGatewayConfig } from '../gateway/config.js';
import { connectInfrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createGateway } from './lib/roles.js';

const config = loadGatewayConfig();
const logger = createLogger('pulse-gateway', config.logLevel);
const infra = await connectInfrastructure(config, { logger, name: 'pulse-gateway', allowEmbedded: false, ackWaitMs: 30_000 });
const gateway = createGateway(config, infra, logger, {});
closeOnSignals(logger, () => closeAll([() => gateway.close(), () => infra.close()]));
await gateway.start();
logger.info({ port: gateway.port }, 'gateway listening');
