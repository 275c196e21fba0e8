import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import {
  IdSchema,
  MAX_MEMBERS_PER_BATCH,
  MemberLoginSchema,
  MemberRegistrationSchema,
  memberValidationError,
  mergeEventId,
  type MemberProfile,
  type StoredMergeEvent,
} from '../engine/contracts/schemas.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import { authenticate as authenticateBearer, authenticateIfPresent } from './auth.js';
import { BearerGuard } from './bearer-guard.js';
import { orEmpty } from './route-validation.js';

/** Member input refused by its schema: the first bad field decides the code (`invalid_email`, `invalid_password`, `invalid_request`). */
const invalidMemberInput = { invalidInput: memberValidationError };

/**
 * Member accounts (CONTRACT.md "Identity" and "Membership"): the engine stores and checks them,
 * the gateway signs the member tokens (`{sub: memberId, role: 'member', tier}`).
 *
 * Visitor merge, on login and on registration: the visitor is always the one whose own bearer
 * token (`Authorization: Bearer <visitor token>`) the request carries, so nobody can pull another
 * shopper's history into their account. `POST /v1/sessions` merges the body's `visitorId` only
 * with that visitor's token (missing or invalid 401, another user's 403; nothing is logged in or
 * merged). `POST /v1/members` takes no visitor from the body: with a visitor's token it merges
 * that visitor; with no Authorization header it merges nothing; an invalid or expired token is
 * 401 and no account is made; another role's token merges nothing. The merge is an internal
 * `merge` event (id `merge:<visitorId>`) on the member's partition: ordered with the member's own
 * events, and applied once per visitor and member (the log's and the state store's dedupe by
 * member and id; the store's marker lasts DEDUPE_TTL_SECONDS), however often it is appended: a
 * retried registration, a registration then logins with the same visitor token.
 *
 * Passwords (engine: PasswordPool): a busy engine answers 503 `unavailable` or 429
 * `rate_limited` at once, with Retry-After (the error handler sets it from
 * `details.retryAfterSeconds`), never a 504 for work it then did; a registration repeated with
 * the same email and password soon after it succeeded answers 201 with the same memberId and a
 * new token (retrying after a lost answer is safe).
 *
 * Admin extensions: `POST /v1/members/batch` imports members (see MemberImportSchema: no
 * password, so they cannot log in until one is set; there is no route for that yet),
 * `GET /v1/members/:memberId` and `GET /v1/members/:memberId/points` read any member's profile
 * and ledger.
 */
export function registerMemberRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, intake } = options;
  const timeout = config.rpcTimeoutMs;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);
  const member = guard.require('member');
  const admin = guard.require('admin');

  const memberToken = (member: MemberProfile) =>
    tokens.sign({ sub: member.memberId, role: 'member', tier: member.tier }, config.memberTokenTtlSeconds);

  /**
   * Appends the merge of `visitorId`'s history into the member. Before the answer: a login or a
   * registration that answers 2xx has its merge durably in the log, and one that fails may be
   * retried (the same id again merges once).
   */
  const mergeVisitor = async (visitorId: string, member: MemberProfile): Promise<void> => {
    const now = Date.now();
    const merge: StoredMergeEvent = {
      type: 'merge',
      id: mergeEventId(visitorId),
      userId: member.memberId,
      fromUserId: visitorId,
      ts: now,
      receivedAt: now,
    };
    await intake.appendInternal(merge);
  };

  // Registration and login check the body before any token (no preValidation hook).
  app.post('/v1/members', { schema: { body: orEmpty(MemberRegistrationSchema) }, config: invalidMemberInput }, async (request, reply) => {
    const body = request.body;
    // Before the account: a bad token makes nothing. Only the token names the visitor.
    const claims = await authenticateIfPresent(tokens, request.headers.authorization);
    const visitorId = claims?.role === 'visitor' ? claims.sub : undefined;
    // `client`: the engine's password queue serves clients in turn (one flooding address waits behind itself).
    const member = await rpc.call('members.register', { ...body, client: request.ip }, timeout);
    // A retried registration (same email and password) answers the same member: the merge again is a duplicate.
    if (visitorId !== undefined) await mergeVisitor(visitorId, member);
    return reply.code(201).send({ memberId: member.memberId, token: await memberToken(member) });
  });

  app.post('/v1/sessions', { schema: { body: orEmpty(MemberLoginSchema) }, config: invalidMemberInput }, async (request) => {
    const { email, password, visitorId } = request.body;
    if (visitorId !== undefined) {
      const claims = await authenticateBearer(tokens, request.headers.authorization);
      if (claims.role !== 'visitor' || claims.sub !== visitorId) {
        throw new PulseError(ErrorCodes.forbidden, "visitorId is merged only with that visitor's own bearer token");
      }
    }
    const member = await rpc.call('members.login', { email, password, client: request.ip }, timeout);
    if (visitorId !== undefined) await mergeVisitor(visitorId, member);
    return { memberId: member.memberId, token: await memberToken(member) };
  });

  app.get('/v1/members/me', { preValidation: member }, async (request) => {
    return rpc.call('members.get', { memberId: guard.claims(request).sub }, timeout);
  });

  // Extension (admin): import members. Each entry is validated by the engine, which owns the
  // accounts, and answered by index: {created, existing, rejected: [{index, error}]}.
  app.post(
    '/v1/members/batch',
    { preValidation: admin, schema: { body: orEmpty(MemberBatchSchema) }, config: invalidMemberInput },
    async (request) => {
      const { members } = request.body;
      if (members.length === 0) return { created: 0, existing: 0, rejected: [] };
      return rpc.call('members.import', { members }, timeout);
    },
  );

  // Extension (admin): any member's profile (`/v1/members/me` is the member's own).
  app.get(
    '/v1/members/:memberId',
    { preValidation: admin, schema: { params: MemberParamsSchema }, config: invalidMemberInput },
    async (request) => {
      return rpc.call('members.get', { memberId: request.params.memberId }, timeout);
    },
  );

  // Extension (admin): any member's points ledger, paged as `/v1/members/me/points`.
  app.get(
    '/v1/members/:memberId/points',
    { preValidation: admin, schema: { params: MemberParamsSchema, querystring: PointsPageSchema }, config: invalidMemberInput },
    async (request) => {
      const { limit, before } = request.query;
      return rpc.call('members.points', { memberId: request.params.memberId, limit, ...(before !== undefined ? { before } : {}) }, timeout);
    },
  );

  // Extension: the points ledger, newest first; `next` is the `before` of the following page.
  app.get(
    '/v1/members/me/points',
    { preValidation: member, schema: { querystring: PointsPageSchema }, config: invalidMemberInput },
    async (request) => {
      const { limit, before } = request.query;
      return rpc.call(
        'members.points',
        { memberId: guard.claims(request).sub, limit, ...(before !== undefined ? { before } : {}) },
        timeout,
      );
    },
  );
}

const MemberBatchSchema = z
  .object({ members: z.array(z.unknown()).max(MAX_MEMBERS_PER_BATCH, `at most ${MAX_MEMBERS_PER_BATCH} members per batch`) })
  .strict();
const MemberParamsSchema = z.object({ memberId: IdSchema });

const PointsPageSchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    before: z.coerce.number().int().positive().optional(),
  })
  .strip();
