import type { FastifyRequest } from 'fastify';
import type { Role } from '../engine/contracts/schemas.js';
import { authenticate, requireRole, type TokenClaims, type TokenService } from './auth.js';

/** The roles each `require` hook admits ([]: any valid token), read by the OpenAPI document (openapi.ts). */
export const guardRoles = new WeakMap<object, readonly Role[]>();

/**
 * Authentication as a route's `preValidation` hook: it runs before the route schema is checked,
 * so a request without a valid token is 401 (a wrong role 403) whatever its body or query, as
 * the API has always answered. The handler reads the verified claims with `claims(request)`
 * (verified once per request). One guard per set of routes, made with the gateway's TokenService.
 */
export class BearerGuard {
  readonly #tokens: TokenService;
  /** Claims verified by `require`, per request; gone with the request. */
  readonly #claims = new WeakMap<FastifyRequest, TokenClaims>();

  constructor(tokens: TokenService) {
    this.#tokens = tokens;
  }

  /** The hook: the bearer token must verify (`unauthorized`, `token_expired`) and, when `roles` are given, hold one of them (`forbidden`). */
  require(...roles: Role[]): (request: FastifyRequest) => Promise<void> {
    const hook = async (request: FastifyRequest): Promise<void> => {
      const claims = await authenticate(this.#tokens, request.headers.authorization);
      if (roles.length > 0) requireRole(claims, ...roles);
      this.#claims.set(request, claims);
    };
    guardRoles.set(hook, roles);
    return hook;
  }

  /** The claims `require` verified for this request; calling it on a route without the hook is a programmer error. */
  claims(request: FastifyRequest): TokenClaims {
    const claims = this.#claims.get(request);
    if (!claims) throw new Error(`route ${request.routeOptions.url ?? request.url} reads claims without a BearerGuard preValidation hook`);
    return claims;
  }
}
