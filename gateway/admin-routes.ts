import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { zodDetails } from '../engine/contracts/schemas.js';
import { MAX_DEAD_LETTERS_PAGE, type DeadLetters } from '../engine/ports/dead-letters.js';
import { authenticate, requireRole, type TokenService } from './auth.js';

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
    before: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a dead-letter id').optional(),
  })
  .strict();
/** Any other id is simply not found (the store's answer). */
const IdParamsSchema = z.object({ id: z.string().min(1).max(32) });

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = zodDetails(parsed.error);
  const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
  throw new PulseError(ErrorCodes.invalidRequest, `invalid ${what}: ${field}: ${problem}`, details);
}

/**
 * Operations routes (admin token only), CONTRACT.md "Operations":
 * - `GET /v1/admin/dead-letters?limit=&before=` -> `{deadLetters: [{id, partition, event, failure:
 *   {code, message, attempts}, failedAt, originalSeq}], next?}`, newest first
 * - `POST /v1/admin/dead-letters/:id/replay` -> `{id, seq}`: the event is appended to EVENTS again
 *   (processed anew; an event id applied meanwhile still counts once), the dead letter deleted
 * - `DELETE /v1/admin/dead-letters/:id` -> `{deleted: true}`
 * Unknown ids are 404 `not_found`.
 */
export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
  const admin = async (request: FastifyRequest): Promise<DeadLetters> => {
    requireRole(await authenticate(options.tokens, request.headers.authorization), 'admin');
    if (!options.deadLetters) throw new PulseError(ErrorCodes.unavailable, 'this gateway has no dead-letter store');
    return options.deadLetters;
  };

  app.get('/v1/admin/dead-letters', async (request) => {
    const deadLetters = await admin(request);
    const query = parse(ListQuerySchema, request.query, 'query');
    return deadLetters.list(query.before === undefined ? { limit: query.limit } : { limit: query.limit, before: query.before });
  });

  app.post('/v1/admin/dead-letters/:id/replay', async (request) => {
    const deadLetters = await admin(request);
    const { id } = parse(IdParamsSchema, request.params, 'dead-letter id');
    const { seq } = await deadLetters.replay(id);
    return { id, seq };
  });

  app.delete('/v1/admin/dead-letters/:id', async (request) => {
    const deadLetters = await admin(request);
    const { id } = parse(IdParamsSchema, request.params, 'dead-letter id');
    await deadLetters.drop(id);
    return { deleted: true };
  });
}
