import type { WireError } from '../../../engine/contracts/errors.js';

/** Who a PulseClient is: read from the token's payload (the gateway verifies the signature, not the browser). */
export interface Identity {
  /** `sub` of the token: a visitor id (`v_…`) or a member id. */
  userId: string;
  role: 'visitor' | 'member' | 'marketing' | 'admin';
  token: string;
  /** When the token expires (epoch ms), from its `exp`; absent for a token without one. */
  expiresAt?: number;
}

/** Where an identity survives reloads (localStorage by default). */
export type IdentityStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** A refused call: the API's stable `code` (and the HTTP status for REST calls). */
export class PulseClientError extends Error {
  override name = 'PulseClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details?: Record<string, string>,
  ) {
    super(message);
  }
}

/** The error a socket ack or an HTTP error body carried. */
export function fromWire(error: WireError, status?: number): PulseClientError {
  return new PulseClientError(error.code, error.message, status, error.details);
}

const ROLES: ReadonlySet<string> = new Set(['visitor', 'member', 'marketing', 'admin']);

/** Reads `sub`, `role` and `exp` from a JWT's payload; a string that is not one is `unauthorized`. */
export function identityOf(token: string): Identity {
  const payload = token.split('.')[1];
  if (!payload) throw new PulseClientError('unauthorized', 'the token is not a JWT (header.payload.signature)');
  let json: { sub?: unknown; role?: unknown; exp?: unknown };
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    json = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))) as typeof json;
  } catch {
    throw new PulseClientError('unauthorized', 'the token payload is not base64url JSON');
  }
  if (typeof json.sub !== 'string' || typeof json.role !== 'string' || !ROLES.has(json.role)) {
    throw new PulseClientError('unauthorized', 'the token has no sub or no known role (visitor, member, marketing, admin)');
  }
  const identity: Identity = { userId: json.sub, role: json.role as Identity['role'], token };
  if (typeof json.exp === 'number') identity.expiresAt = json.exp * 1000;
  return identity;
}

/** Whether the identity's token has expired by the browser's clock. */
export function isExpired(identity: Identity, now = Date.now()): boolean {
  return identity.expiresAt !== undefined && identity.expiresAt <= now;
}

/** The stored identity, unless missing, unreadable or expired. */
export function readIdentity(storage: IdentityStorage | null | undefined, key: string): Identity | undefined {
  try {
    const saved = storage?.getItem(key);
    if (!saved) return undefined;
    const parsed = JSON.parse(saved) as Partial<Identity>;
    if (typeof parsed.token !== 'string') return undefined;
    const identity = identityOf(parsed.token);
    return isExpired(identity) ? undefined : identity;
  } catch {
    return undefined;
  }
}

/** Stores the identity; a full or disabled storage makes the session last as long as the page. */
export function writeIdentity(storage: IdentityStorage | null | undefined, key: string, identity: Identity): void {
  try {
    storage?.setItem(key, JSON.stringify({ userId: identity.userId, role: identity.role, token: identity.token }));
  } catch {
    // Private mode or quota: nothing to do.
  }
}

/** `POST /v1/visitors`: a new anonymous shopper. */
export async function newVisitor(url: string): Promise<Identity> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/visitors`, { method: 'POST' });
  } catch (err) {
    throw new PulseClientError('unavailable', `could not reach ${url || 'the gateway'} for a visitor token: ${String(err)}`);
  }
  if (!res.ok) throw new PulseClientError('unavailable', `could not get a visitor token (HTTP ${res.status})`, res.status);
  const { token } = (await res.json()) as { token: string };
  return identityOf(token);
}

/** An event id unique enough per user (the gateway dedupes on user + id); works outside secure contexts too. */
export function newEventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return `w-${hex}`;
}
