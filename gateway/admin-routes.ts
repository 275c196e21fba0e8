import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { MAX_DEAD_LETTERS_PAGE, type DeadLetters } from '../engine/contracts/transport.js';
import type { TokenService } from './auth.js';
import { BearerGuard } from './bearer-guard.js';
import { labelled } from './route-validation.js';

export interface AdminRoutesOptions {
  tokens: TokenService;
  /** The dead-letter store (NATS, like the event log); without it the routes answer `unavailable`. */
  deadLetters?: DeadLetters;
}

/** Dead letters per page when the query names no `limit`. */
const DEFAULT_DEAD_LETTERS_PAGE = 50;

const ListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_DEAD_LETTERS_PAGE).default(DEFAULT_DEAD_LETTERS_PAGE),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'a dead-letter id')
      .optional(),
  })
  .strict();
/** Any other id is simply not found (the store's answer). */
const IdParamsSchema = z.object({ id: z.string().min(1).max(32) });

/** `invalid query: limit: ...`, `invalid dead-letter id: id: ...`. */
const invalidAdminInput = { invalidInput: labelled(ErrorCodes.invalidRequest, { querystring: 'query', params: 'dead-letter id' }) };

/**
 * Operations routes (admin token only), CONTRACT.md "Operations":
 * - `GET /v1/admin/dead-letters?limit=&before=` -> `{deadLetters: [{id, partition, event, failure:
 *   {code, message, attempts}, failedAt, originalSeq}], next?}`, newest first
 * - `POST /v1/admin/dead-letters/:id/replay` -> `{id, seq}`: the event is appended to EVENTS again
 *   (processed anew; an event id applied meanwhile still counts once), the dead letter deleted
 * - `DELETE /v1/admin/dead-letters/:id` -> `{deleted: true}`
 * Unknown ids are 404 `not_found`.
 */
export function registerAdminRoutes(fastify: FastifyInstance, options: AdminRoutesOptions): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(options.tokens);
  const requireAdmin = guard.require('admin');
  const store = (): DeadLetters => {
    if (!options.deadLetters) throw new PulseError(ErrorCodes.unavailable, 'this gateway has no dead-letter store');
    return options.deadLetters;
  };
  /** An admin token, then a dead-letter store (`unavailable` without one), before the input is checked. */
  const admin = async (request: FastifyRequest): Promise<void> => {
    await requireAdmin(request);
    store();
  };

  app.get(
    '/v1/admin/dead-letters',
    { preValidation: admin, schema: { querystring: ListQuerySchema }, config: invalidAdminInput },
    async (request) => {
      const { limit, before } = request.query;
      return store().list(before === undefined ? { limit } : { limit, before });
    },
  );

  app.post(
    '/v1/admin/dead-letters/:id/replay',
    { preValidation: admin, schema: { params: IdParamsSchema }, config: invalidAdminInput },
    async (request) => {
      const { id } = request.params;
      const { seq } = await store().replay(id);
      return { id, seq };
    },
  );

  app.delete(
    '/v1/admin/dead-letters/:id',
    { preValidation: admin, schema: { params: IdParamsSchema }, config: invalidAdminInput },
    async (request) => {
      await store().drop(request.params.id);
      return { deleted: true };
    },
  );
}
