import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { IdSchema, RoleSchema, TierSchema, type Principal, type Role, type Tier } from '../engine/contracts/schemas.js';

/** What a verified token says about its bearer. `exp` and `iat` are epoch seconds (JWT NumericDate). */
export interface TokenClaims {
  sub: string;
  role: Role;
  tier?: Tier;
  /** Always set on a verified token: tokens without one are refused. */
  exp?: number;
  iat?: number;
}

/**
 * How long tokens may live. A stolen token is good until its `exp`; a token with none, or one
 * minted for ten years, would be good for ever, so every verified token must carry `exp` and live
 * at most its role's maximum.
 */
export interface TokenPolicy {
  /** Longest lifetime (s) per role: `exp - iat` when the token has `iat`, and `exp - now` always. */
  maxTtlSeconds: Readonly<Record<Role | 'shop', number>>;
  /** How far (s) `iat` may lie ahead of this gateway's clock (another server's clock skew); also slack on `exp - now`. */
  iatSkewSeconds: number;
}

const DAY_S = 24 * 3600;

/**
 * Defaults of TOKEN_MAX_TTL_* (gateway/config.ts): above the lifetimes Pulse itself signs
 * (visitors 30 days, members 7 days, the console's marketing token 8 h, imports' and the
 * benchmark's admin tokens 24 h); shops hold a long-lived server credential.
 */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  maxTtlSeconds: { visitor: 90 * DAY_S, member: 30 * DAY_S, shop: 365 * DAY_S, marketing: 30 * DAY_S, admin: 7 * DAY_S },
  iatSkewSeconds: 60,
};

/** The configured policy; throws RangeError when the gateway would sign tokens its own policy refuses. */
export function tokenPolicyOf(config: {
  tokenMaxTtlVisitorSeconds: number;
  tokenMaxTtlMemberSeconds: number;
  tokenMaxTtlShopSeconds: number;
  tokenMaxTtlMarketingSeconds: number;
  tokenMaxTtlAdminSeconds: number;
  tokenIatSkewSeconds: number;
  visitorTokenTtlSeconds: number;
  memberTokenTtlSeconds: number;
}): TokenPolicy {
  const problems: string[] = [];
  if (config.visitorTokenTtlSeconds > config.tokenMaxTtlVisitorSeconds)
    problems.push(
      `VISITOR_TOKEN_TTL_SECONDS (${config.visitorTokenTtlSeconds}) exceeds TOKEN_MAX_TTL_VISITOR_SECONDS (${config.tokenMaxTtlVisitorSeconds})`,
    );
  if (config.memberTokenTtlSeconds > config.tokenMaxTtlMemberSeconds)
    problems.push(
      `MEMBER_TOKEN_TTL_SECONDS (${config.memberTokenTtlSeconds}) exceeds TOKEN_MAX_TTL_MEMBER_SECONDS (${config.tokenMaxTtlMemberSeconds})`,
    );
  if (problems.length > 0) throw new RangeError(`token lifetimes: ${problems.join('; ')}: the gateway would sign tokens it then refuses`);
  return {
    maxTtlSeconds: {
      visitor: config.tokenMaxTtlVisitorSeconds,
      member: config.tokenMaxTtlMemberSeconds,
      shop: config.tokenMaxTtlShopSeconds,
      marketing: config.tokenMaxTtlMarketingSeconds,
      admin: config.tokenMaxTtlAdminSeconds,
    },
    iatSkewSeconds: config.tokenIatSkewSeconds,
  };
}

const ALGORITHM = 'HS256';

/** Claims as they must appear in a token payload; anything else in the payload is ignored. */
const ClaimsSchema = z.object({
  sub: IdSchema,
  role: RoleSchema,
  tier: TierSchema.optional(),
  exp: z.number().finite().optional(),
  iat: z.number().finite().optional(),
});

/**
 * Signs and verifies the bearer tokens of the public API: JWTs, HS256, signed with AUTH_SECRET
 * (so a storefront backend that holds the secret can mint its own member tokens). Every token
 * must carry `exp`, live at most its role's maximum and not be issued in the future beyond the
 * skew (TokenPolicy); tokens this service signs always do.
 */
export class TokenService {
  readonly #key: Uint8Array;
  readonly policy: TokenPolicy;

  constructor(secret: string, policy: TokenPolicy = DEFAULT_TOKEN_POLICY) {
    if (secret.length === 0) throw new RangeError('TokenService needs a non-empty secret');
    this.#key = new TextEncoder().encode(secret);
    this.policy = policy;
  }

  /** The longest lifetime (s) a token of `role` may have. */
  maxTtlSeconds(role: Role): number {
    return (this.policy.maxTtlSeconds as Readonly<Record<string, number>>)[role] ?? 0;
  }

  /** A token valid for `ttlSeconds` (a positive integer, at most the role's maximum) from now. */
  async sign(claims: { sub: string; role: Role; tier?: Tier }, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
    const max = this.maxTtlSeconds(claims.role);
    if (ttlSeconds > max)
      throw new RangeError(
        `a ${claims.role} token lives at most ${max} s (TOKEN_MAX_TTL_${String(claims.role).toUpperCase()}_SECONDS), asked for ${ttlSeconds}`,
      );
    // Validate what we sign so a token we mint always verifies.
    const valid = ClaimsSchema.pick({ sub: true, role: true, tier: true }).parse(claims);
    const payload: Record<string, string> = { role: valid.role };
    if (valid.tier) payload.tier = valid.tier;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(valid.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.#key);
  }

  /**
   * The token's claims. Throws PulseError `token_expired` for a well-signed but expired token,
   * `unauthorized` for anything else (malformed, forged, wrong algorithm, bad claims, no `exp`,
   * a lifetime beyond the role's maximum, `iat` in the future beyond the skew).
   */
  async verify(token: string): Promise<TokenClaims> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#key, { algorithms: [ALGORITHM] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new PulseError(ErrorCodes.tokenExpired, 'token expired', undefined, { cause: err });
      throw new PulseError(ErrorCodes.unauthorized, 'invalid token', undefined, { cause: err });
    }
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw new PulseError(ErrorCodes.unauthorized, 'token lacks a valid sub or role');
    const { sub, role, tier, exp, iat } = claims.data;
    const lifetime = this.#lifetimeProblem(role, exp, iat);
    if (lifetime) throw new PulseError(ErrorCodes.unauthorized, `invalid token: ${lifetime}`);
    const out: TokenClaims = { sub, role };
    if (tier !== undefined) out.tier = tier;
    if (exp !== undefined) out.exp = exp;
    if (iat !== undefined) out.iat = iat;
    return out;
  }

  /** Why the token's times break the policy, or undefined. jose has already refused a passed `exp` and a future `nbf`. */
  #lifetimeProblem(role: Role, exp: number | undefined, iat: number | undefined): string | undefined {
    if (exp === undefined) return 'no exp (every token must expire)';
    const now = Date.now() / 1000;
    const { iatSkewSeconds } = this.policy;
    const max = this.maxTtlSeconds(role);
    if (iat !== undefined && iat > now + iatSkewSeconds)
      return `issued in the future (iat more than ${iatSkewSeconds} s ahead of the server clock)`;
    if (iat !== undefined && exp - iat > max)
      return `lifetime exp - iat of ${Math.round(exp - iat)} s exceeds the ${role} maximum of ${max} s`;
    if (exp - now > max + iatSkewSeconds) return `expires ${Math.round(exp - now)} s from now, beyond the ${role} maximum of ${max} s`;
    return undefined;
  }
}

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** The verified claims of a request's `Authorization: Bearer` token; `unauthorized` when there is none. */
export async function authenticate(tokens: TokenService, authorization: string | string[] | undefined): Promise<TokenClaims> {
  const token = bearerToken(authorization);
  if (!token) throw new PulseError(ErrorCodes.unauthorized, 'missing bearer token (Authorization: Bearer <token>)');
  return tokens.verify(token);
}

/**
 * The verified claims of a request's bearer token when it has an `Authorization` header, undefined
 * when it has none (a route anyone may call). A header that is there must hold a valid token
 * (`unauthorized`, `token_expired`): a caller who meant to act as someone is never quietly taken
 * for an anonymous one.
 */
export async function authenticateIfPresent(
  tokens: TokenService,
  authorization: string | string[] | undefined,
): Promise<TokenClaims | undefined> {
  if (authorization === undefined) return undefined;
  return authenticate(tokens, authorization);
}

/** Who is asking, as forwarded to the engine in rpc calls. */
export function principalOf(claims: TokenClaims): Principal {
  return { userId: claims.sub, role: claims.role, tier: claims.tier ?? 'regular' };
}

/** Throws PulseError `forbidden` unless the bearer has one of `roles`. */
export function requireRole(claims: TokenClaims, ...roles: Role[]): void {
  if (!roles.includes(claims.role)) throw new PulseError(ErrorCodes.forbidden, `requires role ${roles.join(' or ')}`);
}
