import { PulseClientError, type Identity, type IdentityStorage } from './identity.js';

// PulseClient's options and their defaults.

export interface PulseClientOptions {
  /** The gateway's origin, e.g. `https://pulse.example`; default the page's own. */
  url?: string;
  /** Use this token (a storefront backend minted it) instead of a stored or fetched visitor token; it is not stored. */
  token?: string;
  /** Where the identity survives reloads; default localStorage; null keeps it in memory only. */
  storage?: IdentityStorage | null;
  /** Key in `storage`. Default `pulse.identity`. */
  storageKey?: string;
  /** How long one attempt of a call waits for its ack (ms). Default 10000. */
  ackTimeoutMs?: number;
  /** How long a call may take in all, waiting for a reconnect and retries included (ms). Default 30000. */
  callTimeoutMs?: number;
  /**
   * Called when the token has expired (or the gateway refused a stored one): answer a fresh token,
   * or undefined to go on as a new visitor (the default for every role).
   */
  renewToken?: (expired: Identity) => Promise<string | undefined>;
}

export const DEFAULT_KEY = 'pulse.identity';

export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new PulseClientError('invalid_request', `${name} must be a positive number of ms, got ${value}`);
  return value;
}

/** localStorage, unless the browser forbids it (sandboxed frames, blocked storage). */
export function defaultStorage(): IdentityStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
