/** `npm run gateway`: a gateway alone (stateless; many may run). */
import { loadGatewayConfig } from '../gateway/config.js';
import { logAuthSecret, resolveAuthSecret, type ResolvedAuthSecret } from './lib/auth-secret.js';
import { connectInfrastructure, type Infrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createGateway } from './lib/roles.js';
import { failStartup, loadConfigOrExit } from './lib/startup.js';

const config = loadConfigOrExit('pulse-gateway', () => loadGatewayConfig());
const logger = createLogger('pulse-gateway', config.logLevel);
// AUTH_SECRET, or (not in production) the one kept under DATA_DIR: gateways sharing it accept each other's tokens.
let auth: ResolvedAuthSecret;
try {
  auth = resolveAuthSecret({ configured: config.authSecret, dataDir: config.dataDir, production: process.env.NODE_ENV === 'production' });
} catch (err) {
  failStartup('pulse-gateway', err);
}
logAuthSecret(logger, auth);
let infra: Infrastructure;
try {
  infra = await connectInfrastructure(config, { logger, name: 'pulse-gateway', allowEmbedded: false, ackWaitMs: 30_000 });
} catch (err) {
  // An unreachable NATS: one line on stderr, no stack or cause dump.
  failStartup('pulse-gateway', err);
}
const gateway = createGateway({ ...config, authSecret: auth.secret }, infra, logger, {});
closeOnSignals(logger, () => closeAll([() => gateway.close(), () => infra.close()]), config.shutdownTimeoutMs);
await gateway.start();
logger.info({ port: gateway.port }, 'gateway listening');
