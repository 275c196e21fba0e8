import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { OverviewQuerySchema, ProfileQuerySchema, SegmentsQuerySchema } from '../engine/contracts/analytics.js';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { IdSchema } from '../engine/contracts/schemas.js';
import { authenticate as authenticateBearer, requireRole, type TokenClaims } from './auth.js';
import { parseBody } from './coupon-routes.js';
import type { ApiRoutesOptions } from './http-routes.js';

const UserParamsSchema = z.object({ userId: IdSchema });
/** `seconds`: how many of the last seconds to return (default and most: the window's length). */
const liveQuerySchema = (windowSeconds: number) => z.object({ seconds: z.coerce.number().int().min(1).max(windowSeconds).default(windowSeconds) }).strict();

/**
 * Analytics (CONTRACT.md "Analytics"); the engine computes every answer.
 * - `GET /v1/users/:userId/profile?at=` -> the shopper's profile: marketing or admin for anyone,
 *   any other role for its own user only (403 `forbidden` otherwise); `at` (epoch ms, evaluating
 *   the time-based parts at another time) for marketing and admin only.
 * - `GET /v1/analytics/overview?at=` and `GET /v1/analytics/segments?at=&limit=`: marketing or admin.
 * - `GET /v1/analytics/live?seconds=` (extension), marketing or admin: the answering gateway's own
 *   per-second window (live-stats.ts) of accepted events by type and push latency; no engine call.
 * A bad query string is 400 `invalid_request`.
 */
export function registerAnalyticsRoutes(app: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, live } = options;
  const LiveQuerySchema = liveQuerySchema(live.windowSeconds);
  const timeout = config.rpcTimeoutMs;
  const authenticate = (request: FastifyRequest): Promise<TokenClaims> => authenticateBearer(tokens, request.headers.authorization);
  const analyst = (claims: TokenClaims) => claims.role === 'marketing' || claims.role === 'admin';

  app.get('/v1/users/:userId/profile', async (request) => {
    const claims = await authenticate(request);
    const { userId } = parseBody(UserParamsSchema, request.params);
    const { at } = parseBody(ProfileQuerySchema, request.query ?? {});
    if (!analyst(claims) && claims.sub !== userId) throw new PulseError(ErrorCodes.forbidden, "only marketing and admin may read another user's profile");
    if (!analyst(claims) && at !== undefined) throw new PulseError(ErrorCodes.forbidden, '`at` is for marketing and admin');
    return rpc.call('analytics.profile', { userId, ...(at !== undefined ? { at } : {}) }, timeout);
  });

  app.get('/v1/analytics/overview', async (request) => {
    requireRole(await authenticate(request), 'marketing', 'admin');
    return rpc.call('analytics.overview', parseBody(OverviewQuerySchema, request.query ?? {}), timeout);
  });

  app.get('/v1/analytics/segments', async (request) => {
    requireRole(await authenticate(request), 'marketing', 'admin');
    return rpc.call('analytics.segments', parseBody(SegmentsQuerySchema, request.query ?? {}), timeout);
  });

  app.get('/v1/analytics/live', async (request) => {
    requireRole(await authenticate(request), 'marketing', 'admin');
    const { seconds } = parseBody(LiveQuerySchema, request.query ?? {});
    return live.window(seconds);
  });
}
