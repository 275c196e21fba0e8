import type { WireError } from '../../../engine/contracts/errors.js';

export type { Audience, Campaign, CampaignStats, Trigger } from '../../../engine/contracts/campaigns.js';
export type { AnalyticsOverview, SegmentList } from '../../../engine/contracts/analytics.js';
export type { Item } from '../../../engine/contracts/schemas.js';
export type { LiveSecond, LiveWindow } from '../../live-stats.js';

/**
 * The console's REST access: a small fetch wrapper holding the pasted marketing token (kept in
 * sessionStorage, so it lives as long as the tab). The console needs no socket, so it does not
 * load PulseClient (and socket.io-client) at all.
 */

/** sessionStorage key of the console's token. */
export const TOKEN_KEY = 'pulse.console.token';

/** An API refusal with its HTTP status and the contract's `{code, message, details?}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, string> | undefined;

  constructor(status: number, error: { code: string; message: string; details?: unknown }) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = error.details as Record<string, string> | undefined;
  }
}

/** What the console reads from a token's payload to greet its bearer (not a verification: the API verifies). */
export interface TokenInfo {
  sub: string;
  role: string;
  /** Epoch ms; undefined when the token has no `exp`. */
  expiresAt: number | undefined;
}

/** Decodes a JWT's payload; throws Error with a readable message when it is no JWT. */
export function readToken(token: string): TokenInfo {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('that is not a token: a JWT has three parts separated by dots');
  let payload: { sub?: unknown; role?: unknown; exp?: unknown };
  try {
    const base64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    payload = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as typeof payload;
  } catch {
    throw new Error('that is not a token: its payload is not readable JSON');
  }
  if (typeof payload.sub !== 'string' || typeof payload.role !== 'string') throw new Error('that token names no user (sub) or role');
  return { sub: payload.sub, role: payload.role, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined };
}

export interface ConsoleApiOptions {
  /** Gateway origin; default the page's. */
  baseUrl?: string;
  /** Called when the API says the token is no good any more (401), so the console can ask for another. */
  onUnauthorized?: (error: ApiError) => void;
}

/** REST calls with the console's bearer token. */
export class ConsoleApi {
  readonly #baseUrl: string;
  readonly #onUnauthorized: ((error: ApiError) => void) | undefined;
  #token: string | undefined;

  constructor(options: ConsoleApiOptions = {}) {
    this.#baseUrl = options.baseUrl ?? location.origin;
    this.#onUnauthorized = options.onUnauthorized;
    this.#token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** Uses `token` from now on and keeps it for this tab. */
  signIn(token: string): void {
    this.#token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  signOut(): void {
    this.#token = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** One call; resolves with the JSON body, throws ApiError with the API's code (or `network` / `bad_response`). */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.#baseUrl + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw new ApiError(0, { code: 'network', message: `the gateway did not answer (${err instanceof Error ? err.message : String(err)})` });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(res.status, { code: 'bad_response', message: `${method} ${path} answered ${res.status} with no JSON` });
    }
    if (res.ok) return parsed as T;
    const wire: { code: string; message: string; details?: unknown } = (parsed as { error?: WireError } | undefined)?.error ?? { code: `http_${res.status}`, message: `${method} ${path} failed with ${res.status}` };
    const error = new ApiError(res.status, wire);
    if (res.status === 401) this.#onUnauthorized?.(error);
    throw error;
  }
}

/** "1,234" in the page's locale. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** "1 shopper", "2 shoppers". */
export function counted(value: number, one: string, many = `${one}s`): string {
  return `${formatCount(value)} ${value === 1 ? one : many}`;
}

/** Waits `ms` after the last call before running `fn` (the audience preview). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** `document.createElement` with attributes and children, for the small DOM builders here. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** The element with `id`, of the expected kind; throws when the page lacks it (a programmer error). */
export function byId<T extends Element = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console page has no #${id}`);
  return node as unknown as T;
}
