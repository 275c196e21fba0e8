import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCodes, PulseError, type WireError } from '../engine/contracts/errors.js';
import { CategoryPathSchema, IdSchema, ItemSchema, RecommendRequestSchema, type Item } from '../engine/contracts/schemas.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import { principalOf } from './auth.js';
import { BearerGuard } from './bearer-guard.js';
import { MAX_EVENTS_PER_BATCH } from './event-intake.js';
import { registerMemberRoutes } from './member-routes.js';
import { registerCouponRoutes } from './coupon-routes.js';
import { registerOrderRoutes } from './order-routes.js';
import { registerCampaignRoutes } from './campaign-routes.js';
import { registerAnalyticsRoutes } from './analytics-routes.js';
import { invalidAs, labelled } from './route-validation.js';

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
const ItemBatchSchema = z
  .object({ items: z.array(z.unknown()).max(MAX_ITEMS_PER_BATCH, `at most ${MAX_ITEMS_PER_BATCH} items per batch`) })
  .strict();
const EventBatchSchema = z
  .object({ events: z.array(z.unknown()).max(MAX_EVENTS_PER_BATCH, `at most ${MAX_EVENTS_PER_BATCH} events per request`) })
  .strict();

/** How the routes here word refused input: `invalid query: k: ...`, `invalid item id: itemId: ...`. */
const invalidRequest = labelled(ErrorCodes.invalidRequest, { params: 'item id', querystring: 'query' });
const invalidUserRequest = labelled(ErrorCodes.invalidRequest, { params: 'user id', querystring: 'query' });

/**
 * `GET /v1/users/:userId/recommendations` by someone else than that user or an admin: 403 once the
 * id is valid (an invalid one is the params schema's 400), before the query is checked.
 */
function ownUserOrAdmin(guard: BearerGuard) {
  return async (request: FastifyRequest): Promise<void> => {
    const claims = guard.claims(request);
    const params = UserParamsSchema.safeParse(request.params);
    if (params.success && claims.role !== 'admin' && claims.sub !== params.data.userId) {
      throw new PulseError(ErrorCodes.forbidden, "only admins may read another user's recommendations");
    }
  };
}

/** The path names the item: a `PUT /v1/items/:itemId` body without itemId takes it from there (before the body schema runs). */
async function itemIdFromPath(request: FastifyRequest): Promise<void> {
  const body = request.body;
  const { itemId } = request.params as { itemId?: string };
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !('itemId' in body)) request.body = { ...body, itemId };
}

/** The public REST API (CONTRACT.md): every route but `/v1/visitors` needs a bearer token. */
export function registerApiRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, intake } = options;
  const timeout = config.rpcTimeoutMs;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);
  const anyone = guard.require();
  const admin = guard.require('admin');

  app.post('/v1/visitors', async (_request, reply) => {
    const visitorId = `v_${randomBytes(12).toString('base64url')}`;
    const token = await tokens.sign({ sub: visitorId, role: 'visitor' }, config.visitorTokenTtlSeconds);
    return reply.code(201).send({ visitorId, token });
  });

  // --- Recommendations -------------------------------------------------------------------------
  // Query options: RecommendRequestSchema (`includeBought` accepts true/false/1/0).
  app.get(
    '/v1/recommendations',
    { preValidation: anyone, schema: { querystring: RecommendRequestSchema }, config: { invalidInput: invalidRequest } },
    async (request) => {
      const claims = guard.claims(request);
      return rpc.call('recommend', { principal: principalOf(claims), userId: claims.sub, options: request.query }, timeout);
    },
  );

  app.get(
    '/v1/users/:userId/recommendations',
    {
      preValidation: [anyone, ownUserOrAdmin(guard)],
      schema: { params: UserParamsSchema, querystring: RecommendRequestSchema },
      config: { invalidInput: invalidUserRequest },
    },
    async (request) =>
      rpc.call(
        'recommend',
        { principal: principalOf(guard.claims(request)), userId: request.params.userId, options: request.query },
        timeout,
      ),
  );

  // --- Catalog ---------------------------------------------------------------------------------
  app.get(
    '/v1/items',
    { preValidation: anyone, schema: { querystring: ListItemsQuerySchema }, config: { invalidInput: invalidRequest } },
    async (request) => {
      return rpc.call('catalog.list', { principal: principalOf(guard.claims(request)), ...request.query }, timeout);
    },
  );

  app.get(
    '/v1/items/:itemId',
    { preValidation: anyone, schema: { params: ItemParamsSchema }, config: { invalidInput: invalidRequest } },
    async (request) => {
      return rpc.call('catalog.get', { principal: principalOf(guard.claims(request)), itemId: request.params.itemId }, timeout);
    },
  );

  app.get(
    '/v1/items/:itemId/similar',
    {
      preValidation: anyone,
      schema: { params: ItemParamsSchema, querystring: SimilarQuerySchema },
      config: { invalidInput: invalidRequest },
    },
    async (request) =>
      rpc.call('similar', { principal: principalOf(guard.claims(request)), itemId: request.params.itemId, k: request.query.k }, timeout),
  );

  app.put(
    '/v1/items/:itemId',
    {
      preValidation: [admin, itemIdFromPath],
      schema: { params: ItemParamsSchema, body: ItemSchema },
      config: { invalidInput: labelled(ErrorCodes.invalidItem, { params: 'item id', body: 'item' }) },
    },
    async (request) => {
      const { itemId } = request.params;
      const item = request.body;
      if (item.itemId !== itemId) {
        throw new PulseError(ErrorCodes.invalidItem, `body itemId "${item.itemId}" differs from the path's "${itemId}"`, {
          itemId: 'must equal the path',
        });
      }
      await rpc.call('catalog.upsert', { items: [item] }, timeout);
      return item;
    },
  );

  // Each item is checked on its own: a bad one is rejected by index, the others stored.
  app.post(
    '/v1/items/batch',
    {
      preValidation: admin,
      schema: { body: ItemBatchSchema },
      config: { invalidInput: labelled(ErrorCodes.invalidRequest, { body: 'batch' }) },
    },
    async (request) => {
      const items: Item[] = [];
      const rejected: Array<{ index: number; error: WireError }> = [];
      request.body.items.forEach((raw, index) => {
        const parsed = ItemSchema.safeParse(raw);
        if (parsed.success) items.push(parsed.data);
        else rejected.push({ index, error: invalidAs(ErrorCodes.invalidItem, 'item', parsed.error).toWire() });
      });
      // All valid items go in one call: the engine stores them all or fails the request as a whole.
      const { upserted } = items.length > 0 ? await rpc.call('catalog.upsert', { items }, timeout) : { upserted: 0 };
      return { upserted, rejected };
    },
  );

  app.delete(
    '/v1/items/:itemId',
    { preValidation: admin, schema: { params: ItemParamsSchema }, config: { invalidInput: invalidRequest } },
    async (request) => {
      const { itemId } = request.params;
      const { deleted } = await rpc.call('catalog.delete', { itemId }, timeout);
      if (!deleted) throw new PulseError(ErrorCodes.notFound, `no item "${itemId}"`);
      return { deleted };
    },
  );

  // --- Events ----------------------------------------------------------------------------------
  // The envelope is checked here; each event by the intake, answered by index (202 `{accepted, rejected}`).
  app.post(
    '/v1/events',
    {
      preValidation: anyone,
      schema: { body: EventBatchSchema },
      config: { invalidInput: labelled(ErrorCodes.invalidRequest, { body: 'request' }) },
    },
    async (request, reply) => {
      return reply.code(202).send(await intake.intakeBatch(request.body.events, guard.claims(request)));
    },
  );

  // --- Members ---------------------------------------------------------------------------------
  registerMemberRoutes(fastify, options);
  registerCouponRoutes(fastify, options);
  registerOrderRoutes(fastify, options);

  // --- Campaigns -------------------------------------------------------------------------------
  registerCampaignRoutes(fastify, options);

  // --- Analytics -------------------------------------------------------------------------------
  registerAnalyticsRoutes(fastify, options);
}
