import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OverviewQuerySchema, ProfileQuerySchema, SegmentsQuerySchema } from '../engine/contracts/analytics.js';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { IdSchema } from '../engine/contracts/schemas.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import type { TokenClaims } from './auth.js';
import { BearerGuard } from './bearer-guard.js';

const UserParamsSchema = z.object({ userId: IdSchema });
/** `seconds`: how many of the last seconds to return (default and most: the window's length). */
const liveQuerySchema = (windowSeconds: number) =>
  z.object({ seconds: z.coerce.number().int().min(1).max(windowSeconds).default(windowSeconds) }).strict();

/**
 * Analytics (CONTRACT.md "Analytics"); the engine computes every answer.
 * - `GET /v1/users/:userId/profile?at=` -> the shopper's profile: marketing or admin for anyone,
 *   any other role for its own user only (403 `forbidden` otherwise); `at` (epoch ms, evaluating
 *   the time-based parts at another time) for marketing and admin only.
 * - `GET /v1/analytics/overview?at=` and `GET /v1/analytics/segments?at=&limit=`: marketing or admin.
 * - `GET /v1/analytics/live?seconds=` (extension), marketing or admin: the answering gateway's own
 *   per-second window (live-stats.ts) of accepted events by type and push latency; no engine call.
 * A bad query string is 400 `invalid_request` naming the first bad field (route-validation.ts).
 */
export function registerAnalyticsRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, live } = options;
  const LiveQuerySchema = liveQuerySchema(live.windowSeconds);
  const timeout = config.rpcTimeoutMs;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);
  const analystOnly = guard.require('marketing', 'admin');
  const analyst = (claims: TokenClaims) => claims.role === 'marketing' || claims.role === 'admin';

  app.get(
    '/v1/users/:userId/profile',
    { preValidation: guard.require(), schema: { params: UserParamsSchema, querystring: ProfileQuerySchema } },
    async (request) => {
      const claims = guard.claims(request);
      const { userId } = request.params;
      const { at } = request.query;
      if (!analyst(claims) && claims.sub !== userId)
        throw new PulseError(ErrorCodes.forbidden, "only marketing and admin may read another user's profile");
      if (!analyst(claims) && at !== undefined) throw new PulseError(ErrorCodes.forbidden, '`at` is for marketing and admin');
      return rpc.call('analytics.profile', { userId, ...(at !== undefined ? { at } : {}) }, timeout);
    },
  );

  app.get('/v1/analytics/overview', { preValidation: analystOnly, schema: { querystring: OverviewQuerySchema } }, async (request) => {
    return rpc.call('analytics.overview', request.query, timeout);
  });

  app.get('/v1/analytics/segments', { preValidation: analystOnly, schema: { querystring: SegmentsQuerySchema } }, async (request) => {
    return rpc.call('analytics.segments', request.query, timeout);
  });

  app.get('/v1/analytics/live', { preValidation: analystOnly, schema: { querystring: LiveQuerySchema } }, async (request) => {
    return live.window(request.query.seconds);
  });
}
