import { requestJson } from '../client/http.js';
import { PulseClientError } from '../client/identity.js';
import type { ServingModelInfo } from '../../../engine/contracts/model-info.js';

export { PulseClientError };
export type { Audience, Campaign, CampaignStats, Trigger } from '../../../engine/contracts/campaigns.js';
export type { AnalyticsOverview, SegmentList } from '../../../engine/contracts/analytics.js';
export type { Item } from '../../../engine/contracts/schemas.js';
export type { ServingModelInfo } from '../../../engine/contracts/model-info.js';
export type { LiveSecond, LiveWindow } from '../../live-stats.js';

/**
 * The console's REST access: a small fetch wrapper holding the pasted marketing token (kept in
 * sessionStorage, so it lives as long as the tab). The console needs no socket, so it does not
 * load PulseClient (and socket.io-client) at all.
 */

/** sessionStorage key of the console's token. */
export const TOKEN_KEY = 'pulse.console.token';

export interface ConsoleApiOptions {
  /** Gateway origin; default the page's. */
  baseUrl?: string;
  /** Called when the API says the token is no good any more (401), so the console can ask for another. */
  onUnauthorized?: (error: PulseClientError) => void;
}

/** REST calls with the console's bearer token. */
export class ConsoleApi {
  readonly #baseUrl: string;
  readonly #onUnauthorized: ((error: PulseClientError) => void) | undefined;
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

  /**
   * `GET /readyz` (no token needed): its JSON body whether the gateway is ready (200) or not (503),
   * since a 503 body still names the serving model. Throws PulseClientError when there is no JSON answer.
   */
  async readiness(): Promise<{ ready: boolean; model?: ServingModelInfo }> {
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}/readyz`, { headers: { accept: 'application/json' } });
    } catch (err) {
      throw new PulseClientError('unavailable', `GET /readyz: ${String(err)}`);
    }
    try {
      return (await res.json()) as { ready: boolean; model?: ServingModelInfo };
    } catch {
      throw new PulseClientError('http_error', `GET /readyz: HTTP ${res.status}, not JSON`, res.status);
    }
  }

  /** One call; resolves with the JSON body, throws PulseClientError with the API's code (a 401 also tells `onUnauthorized`). */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    try {
      return await requestJson<T>(method, this.#baseUrl + path, { body, bearer: this.#token, headers: { accept: 'application/json' } });
    } catch (err) {
      if (err instanceof PulseClientError && err.status === 401) this.#onUnauthorized?.(err);
      throw err;
    }
  }
}

/** A failed call as the console shows it: "code: message" for the API's refusals. */
export function describeFailure(err: unknown): string {
  return err instanceof PulseClientError ? `${err.code}: ${err.message}` : String(err);
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

export { byId, el } from '../shared/dom.js';
