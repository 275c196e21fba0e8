import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PulseError } from '../engine/contracts/errors.js';
import { bearerToken, type TokenClaims, type TokenService } from './auth.js';
import { MAX_EVENTS_PER_BATCH } from './event-intake.js';
import type { GatewayLimits } from './limits.js';

/** Probes a load balancer or Prometheus calls often from one address: never limited. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The HTTP side of the shared limits, as two Fastify hooks:
 * - `onRequest` (before the body is read): one request from the client's IP, and, for a valid
 *   token whose role is not exempt, one call of its user. Refused: 429 `rate_limited` with
 *   `Retry-After`, nothing read or forwarded. Cost: a Map lookup per rule, plus a JWT
 *   verification (HS256, tens of µs) when a bearer token is present, the routes verify it again.
 * - `preValidation` of `POST /v1/events` (before the route's own hooks and schema, so a 429 comes
 *   before its 401 or 400): each event after the first counts as one more call of the user, so a
 *   batch is limited like the same events sent one by one; refused as a whole (nothing of a
 *   refused batch is appended).
 * Tokens that do not verify count against the IP only: the route answers them 401 anyway.
 */
export function registerRateLimitHooks(app: FastifyInstance, limits: GatewayLimits, tokens: TokenService): void {
  const claimsOf = new WeakMap<FastifyRequest, TokenClaims>();

  app.addHook('onRequest', async (request, reply) => {
    if (UNLIMITED_PATHS.has(request.url.split('?', 1)[0]!)) return;
    const token = bearerToken(request.headers.authorization);
    let claims: TokenClaims | undefined;
    if (token) {
      try {
        claims = await tokens.verify(token);
      } catch {
        claims = undefined;
      }
    }
    if (claims && limits.exempt(claims.role)) return;
    const ip = limits.clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for']);
    const refused = limits.ipRequest(ip) ?? (claims ? limits.userCalls(claims.sub, claims.role) : undefined);
    if (refused) return refuse(reply, refused);
    if (claims) claimsOf.set(request, claims);
  });

  app.addHook('preValidation', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/v1/events') return;
    const claims = claimsOf.get(request);
    const events = (request.body as { events?: unknown } | undefined)?.events;
    // A batch the route refuses anyway (too many events) is left to it: 400, nothing appended.
    if (!claims || !Array.isArray(events) || events.length <= 1 || events.length > MAX_EVENTS_PER_BATCH) return;
    const refused = limits.userCalls(claims.sub, claims.role, events.length - 1);
    if (refused) return refuse(reply, refused);
  });
}

/** 429 in the API's error shape with `Retry-After` (the error handler maps the PulseError; the header is set here so it holds whatever the handler does). */
function refuse(reply: FastifyReply, error: PulseError & { retryAfterSeconds: number }): never {
  void reply.header('Retry-After', String(error.retryAfterSeconds));
  throw error;
}
