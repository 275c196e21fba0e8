/**
 * The backlog benchmark's own requests to the gateway (see backlog.ts): catalog upserts and event
 * posts as the admin, each retried up to MAX_ATTEMPTS times, with what went wrong counted in a RequestTally.
 */
import type { Progress } from '../lib/progress.js';
import { backlogItems, type BacklogEvent } from './backlog-data.js';

/** One request may take this long before the bench gives up on it and counts a client timeout (ms). */
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 5;

/** What went wrong with the bench's own requests (each retried, up to MAX_ATTEMPTS). */
export class RequestTally {
  http504 = 0;
  clientTimeouts = 0;
  /** Events the gateway rejected as `unavailable`: the log did not confirm them in time. */
  appendTimeouts = 0;
  other: Record<string, number> = {};

  count(code: string): void {
    this.other[code] = (this.other[code] ?? 0) + 1;
  }
}

/** POSTs JSON as the admin; undefined when the attempt should be retried (504, 503, timeout, network), counted in `tally`. */
export async function postJson(url: string, token: string, body: unknown, tally: RequestTally): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') tally.clientTimeouts++;
    else tally.count(`network: ${(err as Error).message}`);
    return undefined;
  }
  const text = await response.text();
  if (response.status === 504) tally.http504++;
  else if (response.status === 503) tally.count('http 503');
  if (response.status === 504 || response.status === 503) return undefined;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Runs `attempt` until it returns true, MAX_ATTEMPTS times at most; false when it never did. */
export async function withRetries(attempt: () => Promise<boolean>): Promise<boolean> {
  for (let i = 1; i <= MAX_ATTEMPTS; i++) {
    if (await attempt()) return true;
    if (i < MAX_ATTEMPTS) await new Promise((r) => setTimeout(r, 250 * i));
  }
  return false;
}

/** Upserts items `prefix0 .. prefix{count-1}` in batches, one request at a time; returns the seconds it took. */
export async function upsertCatalog(
  url: string,
  token: string,
  prefix: string,
  count: number,
  batchSize: number,
  tally: RequestTally,
  progress?: Progress,
): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < count; from += batchSize) {
    const items = backlogItems(prefix, from, Math.min(count, from + batchSize));
    const upserted = await withRetries(async () => {
      const answer = (await postJson(`${url}/v1/items/batch`, token, { items }, tally)) as
        | { upserted?: number; rejected?: unknown[] }
        | undefined;
      if (answer === undefined) return false;
      if (answer.rejected && answer.rejected.length > 0)
        throw new Error(`the gateway rejected catalog items: ${JSON.stringify(answer.rejected[0])}`);
      return true;
    });
    // The engine may still store a batch it did not confirm in time: the catalog goes on.
    if (!upserted) tally.count(`catalog batch unconfirmed after ${MAX_ATTEMPTS} attempts`);
    progress?.tick(items.length);
  }
  progress?.done();
  return (performance.now() - started) / 1000;
}

/** Posts one batch of events; events rejected as `unavailable` are posted again (same ids: safe). */
export async function postEvents(url: string, token: string, batch: BacklogEvent[], tally: RequestTally): Promise<void> {
  let pending = batch;
  const posted = await withRetries(async () => {
    const answer = (await postJson(`${url}/v1/events`, token, { events: pending }, tally)) as
      | { rejected?: Array<{ index: number; error: { code: string } }> }
      | undefined;
    if (answer === undefined) return false;
    const again: BacklogEvent[] = [];
    for (const { index, error } of answer.rejected ?? []) {
      if (error.code !== 'unavailable') throw new Error(`the gateway rejected event ${pending[index]?.id}: ${JSON.stringify(error)}`);
      tally.appendTimeouts++;
      again.push(pending[index]!);
    }
    pending = again;
    return again.length === 0;
  });
  // Events never stored would stall the wait for the engine: no point measuring on.
  if (!posted) throw new Error(`posting events ${batch[0]?.id}..: ${pending.length} still not stored after ${MAX_ATTEMPTS} attempts`);
}
