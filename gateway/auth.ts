import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { IdSchema, RoleSchema, TierSchema, type Principal, type Role, type Tier } from '../engine/contracts/schemas.js';

/** What a verified token says about its bearer. `exp` and `iat` are epoch seconds (JWT NumericDate). */
export interface TokenClaims {
  sub: string;
  role: Role;
  tier?: Tier;
  exp?: number;
  iat?: number;
}

const ALGORITHM = 'HS256';

/** Claims as they must appear in a token payload; anything else in the payload is ignored. */
const ClaimsSchema = z.object({
  sub: IdSchema,
  role: RoleSchema,
  tier: TierSchema.optional(),
  exp: z.number().optional(),
  iat: z.number().optional(),
});

/**
 * Signs and verifies the bearer tokens of the public API: JWTs, HS256, signed with AUTH_SECRET
 * (so a storefront backend that holds the secret can mint its own member tokens).
 * A token without `exp` never expires; tokens this service signs always carry one.
 */
export class TokenService {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    if (secret.length === 0) throw new RangeError('TokenService needs a non-empty secret');
    this.#key = new TextEncoder().encode(secret);
  }

  /** A token valid for `ttlSeconds` (a positive integer) from now. */
  async sign(claims: { sub: string; role: Role; tier?: Tier }, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
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
   * `unauthorized` for anything else (malformed, forged, wrong algorithm, bad claims).
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
    const out: TokenClaims = { sub, role };
    if (tier !== undefined) out.tier = tier;
    if (exp !== undefined) out.exp = exp;
    if (iat !== undefined) out.iat = iat;
    return out;
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

/** Who is asking, as forwarded to the engine in rpc calls. */
export function principalOf(claims: TokenClaims): Principal {
  return { userId: claims.sub, role: claims.role, tier: claims.tier ?? 'regular' };
}

/** Throws PulseError `forbidden` unless the bearer has one of `roles`. */
export function requireRole(claims: TokenClaims, ...roles: Role[]): void {
  if (!roles.includes(claims.role)) throw new PulseError(ErrorCodes.forbidden, `requires role ${roles.join(' or ')}`);
}
