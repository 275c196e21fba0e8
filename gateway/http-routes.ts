import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCodes, PulseError, type ErrorCode, type WireError } from '../engine/contracts/errors.js';
import { CategoryPathSchema, IdSchema, ItemSchema, RecommendRequestSchema, zodDetails, type Item } from '../engine/contracts/schemas.js';
import type { RpcClient } from '../engine/ports/rpc.js';
import { authenticate as authenticateBearer, principalOf, requireRole, type TokenClaims, type TokenService } from './auth.js';
import type { GatewayConfig } from './config.js';
import { MAX_EVENTS_PER_BATCH, type EventIntake } from './event-intake.js';
import { registerMemberRoutes } from './member-routes.js';
import { registerCouponRoutes } from './coupon-routes.js';
import { registerOrderRoutes } from './order-routes.js';
import { registerCampaignRoutes } from './campaign-routes.js';
import { registerAnalyticsRoutes } from './analytics-routes.js';
import type { LiveStats } from './live-stats.js';

export interface ApiRoutesOptions {
  config: GatewayConfig;
  tokens: TokenService;
  rpc: RpcClient;
  intake: EventIntake;
  /** This gateway's per-second window of accepted events and push latencies (`GET /v1/analytics/live`). */
  live: LiveStats;
}

/** Largest `items` array one `POST /v1/items/batch` may carry. */
export const MAX_ITEMS_PER_BATCH = 1000;

const ItemParamsSchema = z.object({ itemId: IdSchema });
const UserParamsSchema = z.object({ userId: IdSchema });
const SimilarQuerySchema = z.object({ k: z.coerce.number().int().min(1).max(100).default(10) }).strict();
const ListItemsQuerySchema = z
  .object({
    category: CategoryPathSchema.optional(),
    query: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
const ItemBatchSchema = z.object({ items: z.array(z.unknown()).max(MAX_ITEMS_PER_BATCH, `at most ${MAX_ITEMS_PER_BATCH} items per batch`) }).strict();
const EventBatchSchema = z
  .object({ events: z.array(z.unknown()).max(MAX_EVENTS_PER_BATCH, `at most ${MAX_EVENTS_PER_BATCH} events per request`) })
  .strict();

/** Parses `value` or throws PulseError `code` with per-field details. */
function validate<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, code: ErrorCode, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = zodDetails(parsed.error);
  const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
  throw new PulseError(code, `invalid ${what}: ${field}: ${problem}`, details);
}

/** Options of a recommendation request from the query string (`includeBought` accepts true/false/1/0). */
function recommendQuery(query: unknown) {
  return validate(RecommendRequestSchema, query, ErrorCodes.invalidRequest, 'query');
}

function itemRejection(index: number, error: z.ZodError): { index: number; error: WireError } {
  const details = zodDetails(error);
  const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
  return { index, error: { code: ErrorCodes.invalidItem, message: `invalid item: ${field}: ${problem}`, details } };
}

/** The public REST API (CONTRACT.md): every route but `/v1/visitors` needs a bearer token. */
export function registerApiRoutes(app: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, intake } = options;
  const timeout = config.rpcTimeoutMs;

  const authenticate = (request: FastifyRequest): Promise<TokenClaims> => authenticateBearer(tokens, request.headers.authorization);

  app.post('/v1/visitors', async (_request, reply) => {
    const visitorId = `v_${randomBytes(12).toString('base64url')}`;
    const token = await tokens.sign({ sub: visitorId, role: 'visitor' }, config.visitorTokenTtlSeconds);
    return reply.code(201).send({ visitorId, token });
  });

  // --- Recommendations -------------------------------------------------------------------------
  app.get('/v1/recommendations', async (request) => {
    const claims = await authenticate(request);
    const options = recommendQuery(request.query);
    return rpc.call('recommend', { principal: principalOf(claims), userId: claims.sub, options }, timeout);
  });

  app.get('/v1/users/:userId/recommendations', async (request) => {
    const claims = await authenticate(request);
    const { userId } = validate(UserParamsSchema, request.params, ErrorCodes.invalidRequest, 'user id');
    if (claims.role !== 'admin' && claims.sub !== userId) throw new PulseError(ErrorCodes.forbidden, "only admins may read another user's recommendations");
    const options = recommendQuery(request.query);
    return rpc.call('recommend', { principal: principalOf(claims), userId, options }, timeout);
  });

  // --- Catalog ---------------------------------------------------------------------------------
  app.get('/v1/items', async (request) => {
    const claims = await authenticate(request);
    const query = validate(ListItemsQuerySchema, request.query, ErrorCodes.invalidRequest, 'query');
    return rpc.call('catalog.list', { principal: principalOf(claims), ...query }, timeout);
  });

  app.get('/v1/items/:itemId', async (request) => {
    const claims = await authenticate(request);
    const { itemId } = validate(ItemParamsSchema, request.params, ErrorCodes.invalidRequest, 'item id');
    return rpc.call('catalog.get', { principal: principalOf(claims), itemId }, timeout);
  });

  app.get('/v1/items/:itemId/similar', async (request) => {
    const claims = await authenticate(request);
    const { itemId } = validate(ItemParamsSchema, request.params, ErrorCodes.invalidRequest, 'item id');
    const { k } = validate(SimilarQuerySchema, request.query, ErrorCodes.invalidRequest, 'query');
    return rpc.call('similar', { principal: principalOf(claims), itemId, k }, timeout);
  });

  app.put('/v1/items/:itemId', async (request) => {
    requireRole(await authenticate(request), 'admin');
    const { itemId } = validate(ItemParamsSchema, request.params, ErrorCodes.invalidItem, 'item id');
    const body = request.body;
    // The path names the item; a body without itemId takes it from there, a different one is refused.
    const withId = body !== null && typeof body === 'object' && !Array.isArray(body) && !('itemId' in body) ? { ...body, itemId } : body;
    const item = validate(ItemSchema, withId, ErrorCodes.invalidItem, 'item');
    if (item.itemId !== itemId) {
      throw new PulseError(ErrorCodes.invalidItem, `body itemId "${item.itemId}" differs from the path's "${itemId}"`, { itemId: 'must equal the path' });
    }
    await rpc.call('catalog.upsert', { items: [item] }, timeout);
    return item;
  });

  app.post('/v1/items/batch', async (request) => {
    requireRole(await authenticate(request), 'admin');
    const { items: raws } = validate(ItemBatchSchema, request.body, ErrorCodes.invalidRequest, 'batch');
    const items: Item[] = [];
    const rejected: Array<{ index: number; error: WireError }> = [];
    raws.forEach((raw, index) => {
      const parsed = ItemSchema.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
      else rejected.push(itemRejection(index, parsed.error));
    });
    // All valid items go in one call: the engine stores them all or fails the request as a whole.
    const { upserted } = items.length > 0 ? await rpc.call('catalog.upsert', { items }, timeout) : { upserted: 0 };
    return { upserted, rejected };
  });

  app.delete('/v1/items/:itemId', async (request) => {
    requireRole(await authenticate(request), 'admin');
    const { itemId } = validate(ItemParamsSchema, request.params, ErrorCodes.invalidRequest, 'item id');
    const { deleted } = await rpc.call('catalog.delete', { itemId }, timeout);
    if (!deleted) throw new PulseError(ErrorCodes.notFound, `no item "${itemId}"`);
    return { deleted };
  });

  // --- Events ----------------------------------------------------------------------------------
  app.post('/v1/events', async (request, reply) => {
    const claims = await authenticate(request);
    const { events } = validate(EventBatchSchema, request.body, ErrorCodes.invalidRequest, 'request');
    return reply.code(202).send(await intake.intakeBatch(events, claims));
  });

  // --- Members ---------------------------------------------------------------------------------
  registerMemberRoutes(app, options);
  registerCouponRoutes(app, options);
  registerOrderRoutes(app, options);

  // --- Campaigns -------------------------------------------------------------------------------
  registerCampaignRoutes(app, options);

  // --- Analytics -------------------------------------------------------------------------------
  registerAnalyticsRoutes(app, options);
}
