import type { WireError } from '../../../engine/contracts/errors.js';
import { fromWire, PulseClientError } from './identity.js';

/** What one JSON call sends besides its method and URL. */
export interface JsonRequest {
  body?: unknown;
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string | undefined;
  headers?: Record<string, string>;
}

/**
 * One JSON call to the gateway (PulseClient's REST calls and the console's): resolves with the
 * parsed body. Throws PulseClientError: the API's own `{error: {code, message, details}}` with the
 * HTTP status, `unavailable` when the gateway did not answer, `http_error` for an answer that is
 * not JSON or an error without the API's body.
 */
export async function requestJson<T>(method: string, url: string, request: JsonRequest = {}): Promise<T> {
  const { body, bearer, headers = {} } = request;
  const init: RequestInit = {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '');
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new PulseClientError('unavailable', `${method} ${path}: ${String(err)}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new PulseClientError('http_error', `${method} ${path}: HTTP ${res.status}, not JSON`, res.status);
  }
  if (!res.ok) {
    const error = (parsed as { error?: WireError } | undefined)?.error;
    throw error ? fromWire(error, res.status) : new PulseClientError('http_error', `${method} ${path}: HTTP ${res.status}`, res.status);
  }
  return parsed as T;
}
