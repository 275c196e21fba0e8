// `npm run docs:api`: writes docs/openapi.json, the OpenAPI document of the gateway's HTTP routes,
// as a gateway with the default configuration serves it at `GET /v1/openapi.json` (made from the
// route schemas: gateway/openapi.ts). test/unit/docs-openapi.test.ts fails when the file differs
// from what this renders now.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MemoryTransport } from '../engine/platform/mod.js';
import { TokenService } from '../gateway/auth.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { Gateway } from '../gateway/main.js';
import { OPENAPI_PATH } from '../gateway/openapi-route.js';

export const OPENAPI_DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.json');

/** A secret for this run only: nothing is signed that leaves the process. */
const THROWAWAY_SECRET = 'docs-openapi-throwaway-secret-0123456789';

/**
 * The document a gateway with the default configuration serves: one is started on 127.0.0.1 (a
 * free port) over the in-memory transport, asked for `GET /v1/openapi.json`, and closed. Only
 * PORT, HOST and AUTH_SECRET are set, not read from the environment, so the file does not depend
 * on who runs the command.
 */
export async function renderOpenApi(): Promise<string> {
  const logger = pino({ level: 'silent' });
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: THROWAWAY_SECRET });
  const transport = new MemoryTransport({ partitions: config.partitions, ackWaitMs: 5000, logger });
  const gateway = new Gateway({
    config,
    logger,
    eventLog: transport.eventLog,
    rpc: transport.rpcClient,
    push: transport.pushSubscriber,
    tokens: new TokenService(THROWAWAY_SECRET),
    readiness: async () => ({ ready: true, checks: {} }),
  });
  try {
    await gateway.start();
    const response = await fetch(`http://127.0.0.1:${gateway.port}${OPENAPI_PATH}`);
    if (response.status !== 200) throw new Error(`GET ${OPENAPI_PATH} answered ${response.status}`);
    return await response.text();
  } finally {
    await gateway.close();
    await transport.close();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_DOC_PATH, await renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_DOC_PATH}\n`);
}
