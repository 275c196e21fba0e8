import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RequestIdSchema } from '../engine/contracts/schemas.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import { BearerGuard } from './bearer-guard.js';
import { orEmpty, parseBody } from './route-validation.js';

/** The socket's `redeem` parses its payload as these routes word refusals (socket-server.ts). */
export { parseBody };

/** The body of a redeem (`POST /v1/members/me/coupons/:code/redeem`; the socket's `redeem` adds `code`). */
export const RedeemBodySchema = z.object({ orderId: z.string().trim().min(1).max(200) }).strict();
/** Any code: one that names no coupon is the engine's `coupon_not_found`. */
const RedeemParamsSchema = z.object({ code: z.string() });
const RewardBodySchema = z.object({ rewardId: z.string().min(1).max(64), requestId: RequestIdSchema.optional() }).strict();

const HistoryQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.coerce.number().int().positive().optional(),
  })
  .strip();

/**
 * Coupons and rewards of the signed-in member (CONTRACT.md "Membership"; rewards are an extension):
 * - `GET /v1/members/me/coupons` -> `{coupons}` newest first
 * - `POST /v1/members/me/coupons/:code/redeem` `{orderId}` -> the coupon as used; `coupon_not_found`
 *   404, `coupon_not_yours` 403, `coupon_expired` 410, `coupon_used` 409
 * - `GET /v1/members/me/rewards` -> `{rewards: [{rewardId, points, value, ttlDays}]}` cheapest first
 * - `POST /v1/members/me/rewards` `{rewardId, requestId?}` (or header `Idempotency-Key`) -> 201
 *   `{coupon, points}` (200 with the first coupon when the request id was seen); `reward_not_found`
 *   404, `insufficient_points` 409. Without a request id each call is a new redemption.
 * - `GET /v1/members/me/history?limit=&before=` -> `{events, orders, points, coupons, next?}`
 * Refused input is `invalid_request` naming the first bad field (route-validation.ts `firstFieldInvalid`).
 */
export function registerCouponRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc } = options;
  const timeout = config.rpcTimeoutMs;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);
  const member = guard.require('member');

  app.get('/v1/members/me/coupons', { preValidation: member }, async (request) => {
    return rpc.call('coupons.list', { memberId: guard.claims(request).sub }, timeout);
  });

  app.post(
    '/v1/members/me/coupons/:code/redeem',
    { preValidation: member, schema: { params: RedeemParamsSchema, body: orEmpty(RedeemBodySchema) } },
    async (request) => {
      const { orderId } = request.body;
      return rpc.call('coupons.redeem', { memberId: guard.claims(request).sub, code: request.params.code, orderId }, timeout);
    },
  );

  app.get('/v1/members/me/history', { preValidation: member, schema: { querystring: HistoryQuerySchema } }, async (request) => {
    const { limit, before } = request.query;
    return rpc.call(
      'members.history',
      { memberId: guard.claims(request).sub, limit, ...(before !== undefined ? { before } : {}) },
      timeout,
    );
  });

  app.get('/v1/members/me/rewards', { preValidation: member }, async (request) => {
    return rpc.call('rewards.list', { memberId: guard.claims(request).sub }, timeout);
  });

  app.post('/v1/members/me/rewards', { preValidation: member, schema: { body: orEmpty(RewardBodySchema) } }, async (request, reply) => {
    const body = request.body;
    // The header is read (and must be a valid request id) only when the body names none.
    const header = request.headers['idempotency-key'];
    const requestId = body.requestId ?? (typeof header === 'string' ? parseBody(RequestIdSchema, header) : randomUUID());
    const result = await rpc.call('rewards.redeem', { memberId: guard.claims(request).sub, rewardId: body.rewardId, requestId }, timeout);
    return reply.code(result.applied ? 201 : 200).send({ coupon: result.coupon, points: result.points });
  });
}
