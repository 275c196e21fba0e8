import type { RpcClient } from '../engine/contracts/transport.js';
import type { TokenService } from './auth.js';
import type { GatewayConfig } from './config.js';
import type { EventIntake } from './event-intake.js';
import type { LiveStats } from './live-stats.js';

/**
 * What the REST API's routes are given: `registerApiRoutes` (http-routes.ts) and the route files it
 * registers (member, coupon, order, campaign, analytics) all take it. Kept apart from them so no
 * route file imports the module that registers it.
 */
export interface ApiRoutesOptions {
  config: GatewayConfig;
  tokens: TokenService;
  rpc: RpcClient;
  intake: EventIntake;
  /** This gateway's per-second window of accepted events and push latencies (`GET /v1/analytics/live`). */
  live: LiveStats;
}
