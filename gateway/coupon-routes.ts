import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { zodDetails } from '../engine/contracts/schemas.js';
import { RequestIdSchema } from '../engine/logic/coupons.js';
import { authenticate as authenticateBearer, requireRole, type TokenClaims } from './auth.js';
import type { ApiRoutesOptions } from './http-routes.js';

/** The body of a redeem (`POST /v1/members/me/coupons/:code/redeem`; the socket's `redeem` adds `code`). */
export const RedeemBodySchema = z.object({ orderId: z.string().trim().min(1).max(200) }).strict();
const RewardBodySchema = z.object({ rewardId: z.string().min(1).max(64), requestId: RequestIdSchema.optional() }).strict();

const HistoryQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.coerce.number().int().positive().optional(),
  })
  .strip();

/** Parses a request body; the first bad field names the `invalid_request` (HTTP and socket alike). */
export function parseBody<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const fieldName = typeof issue?.path[0] === 'string' ? issue.path[0] : '(root)';
  throw new PulseError(ErrorCodes.invalidRequest, `invalid ${fieldName}: ${issue?.message ?? 'invalid'}`, zodDetails(parsed.error));
}

/**
 * Coupons and rewards of the signed-in member (CONTRACT.md "Membership"; rewards are an extension):
 * - `GET /v1/members/me/coupons` -> `{coupons}` newest first
 * - `POST /v1/members/me/coupons/:code/redeem` `{orderId}` -> the coupon as used; `coupon_not_found`
 *   404, `coupon_not_yours` 403, `coupon_expired` 410, `coupon_used` 409
 * - `POST /v1/members/me/rewards` `{rewardId, requestId?}` (or header `Idempotency-Key`) -> 201
 *   `{coupon, points}` (200 with the first coupon when the request id was seen); `reward_not_found`
 *   404, `insufficient_points` 409. Without a request id each call is a new redemption.
 * - `GET /v1/members/me/history?limit=&before=` -> `{events, orders, points, coupons, next?}`
 */
export function registerCouponRoutes(app: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc } = options;
  const timeout = config.rpcTimeoutMs;

  const member = async (request: FastifyRequest): Promise<TokenClaims> => {
    const claims = await authenticateBearer(tokens, request.headers.authorization);
    requireRole(claims, 'member');
    return claims;
  };

  app.get('/v1/members/me/coupons', async (request) => {
    const claims = await member(request);
    return rpc.call('coupons.list', { memberId: claims.sub }, timeout);
  });

  app.post<{ Params: { code: string } }>('/v1/members/me/coupons/:code/redeem', async (request) => {
    const claims = await member(request);
    const { orderId } = parseBody(RedeemBodySchema, request.body);
    return rpc.call('coupons.redeem', { memberId: claims.sub, code: request.params.code, orderId }, timeout);
  });

  app.get('/v1/members/me/history', async (request) => {
    const claims = await member(request);
    const query = parseBody(HistoryQuerySchema, request.query);
    return rpc.call('members.history', { memberId: claims.sub, limit: query.limit, ...(query.before !== undefined ? { before: query.before } : {}) }, timeout);
  });

  app.post('/v1/members/me/rewards', async (request, reply) => {
    const claims = await member(request);
    const body = parseBody(RewardBodySchema, request.body);
    const header = request.headers['idempotency-key'];
    const requestId = body.requestId ?? (typeof header === 'string' ? parseBody(RequestIdSchema, header) : randomUUID());
    const result = await rpc.call('rewards.redeem', { memberId: claims.sub, rewardId: body.rewardId, requestId }, timeout);
    return reply.code(result.applied ? 201 : 200).send({ coupon: result.coupon, points: result.points });
  });
}
