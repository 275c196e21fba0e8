/** `npm run engine`: an engine alone (many may run against one NATS and one Redis). */
import { createServer } from 'node:http';
import { loadEngineConfig } from '../engine/config.js';
import { connectInfrastructure, type Infrastructure } from './lib/infrastructure.js';
import { closeAll, closeOnSignals } from './lib/lifecycle.js';
import { createLogger } from './lib/logger.js';
import { createEngine, readiness } from './lib/roles.js';
import { failStartup, loadConfigOrExit } from './lib/startup.js';

const config = loadConfigOrExit('pulse-engine', () => loadEngineConfig());
const logger = createLogger('pulse-engine', config.logLevel);
let infra: Infrastructure;
try {
  infra = await connectInfrastructure(config, {
    logger,
    name: 'pulse-engine',
    allowEmbedded: false,
    ackWaitMs: config.ackWaitMs,
    state: config,
  });
} catch (err) {
  // Unreachable servers, or a Redis that keeps nothing on disk (REDIS_EPHEMERAL_OK): one line on
  // stderr, no stack or cause dump.
  failStartup('pulse-engine', err);
}
const engine = createEngine(config, infra, logger, true);
const ready = readiness(infra, engine);

// A standalone engine's own /healthz, /readyz and /metrics (the gateway serves them in `npm start`).
const http = createServer((req, res) => {
  const reply = (status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  if (req.url === '/healthz') return reply(200, '{"ok":true}');
  if (req.url === '/readyz') {
    void ready().then((report) => {
      const failed = Object.entries(report.checks)
        .filter(([, check]) => !check.ok)
        .map(([name]) => name);
      reply(
        report.ready ? 200 : 503,
        JSON.stringify(
          report.ready ? report : { ready: false, failed, checks: report.checks, ...(report.model ? { model: report.model } : {}) },
        ),
      );
    });
    return;
  }
  if (req.url === '/metrics') {
    void engine.metrics.registry.metrics().then((text) => reply(200, text, engine.metrics.registry.contentType));
    return;
  }
  reply(404, JSON.stringify({ error: { code: 'not_found', message: 'not found' } }));
});

closeOnSignals(
  logger,
  () => closeAll([() => engine.close(), () => new Promise<void>((r) => http.close(() => r())), () => infra.close()]),
  config.shutdownTimeoutMs,
);
await engine.start();
if (config.enginePort > 0) http.listen(config.enginePort, () => logger.info({ port: config.enginePort }, 'engine health and metrics'));
