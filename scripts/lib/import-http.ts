/** One JSON POST of an import (batches of events/items/members, or one order) and how its answer reads. */
import { z } from 'zod';
import type { LineError } from './import-lines.js';

const ErrorResponseSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });

/** What came back: nothing (the server could not be reached), or a status with its body read. */
export type Posted =
  | { kind: 'unreachable'; reason: string }
  | {
      kind: 'answered';
      status: number;
      response: Response;
      text: string;
      /** The body as JSON, undefined when it is not JSON. */
      json: unknown;
      /** The body was the API's `{error: {code, message}}`. */
      apiError: boolean;
      /** The API's error, or `http_<status>` with the start of the body. */
      error: LineError;
    };

/** POSTs `body` (already JSON) with the bearer token; never throws for network failures or timeouts. */
export async function postJson(fetchImpl: typeof fetch, endpoint: string, token: string, body: string, timeoutMs: number): Promise<Posted> {
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    return { kind: 'unreachable', reason: `server unreachable: ${cause}` };
  }
  const status = response.status;
  const json = safeJson(text);
  const serverError = ErrorResponseSchema.safeParse(json);
  const error: LineError = serverError.success
    ? { code: serverError.data.error.code, message: serverError.data.error.message }
    : { code: `http_${status}`, message: text.slice(0, 200) || response.statusText };
  return { kind: 'answered', status, response, text, json, apiError: serverError.success, error };
}

/** Exponential backoff from `baseMs`, at most `capMs`, with ±25% jitter so concurrent senders do not retry in lockstep (ms). */
export function jitteredBackoff(baseMs: number, attempt: number, capMs: number): number {
  const base = Math.min(baseMs * 2 ** Math.min(attempt - 1, 20), capMs);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
