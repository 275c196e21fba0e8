/**
 * The orders side of `npm run import -- --orders FILE.jsonl` (see scripts/import.ts): posts each
 * order line to `POST /v1/orders`, the shop's server-to-server route, one request per order.
 *
 * Why one at a time per lane: an order's points depend on the tier its member holds when it is
 * applied, so one member's orders must reach the gateway in file order. runImport gives each
 * member one lane (by userId) with one batch in flight; this client posts the batch's orders in
 * order, each only after the previous one was answered. Throughput comes from the lanes.
 *
 * Answers:
 * - 202: accepted; with `duplicate: true` the order (same orderId and status, same returned lines)
 *   was placed before, by an earlier run: counted apart, so a re-run shows it changed nothing. A
 *   duplicate after our own attempt failed in transit is our order: counted as accepted.
 * - 429, 502, 503, 504, network errors: retried with backoff, after `Retry-After` when the gateway
 *   gives one (its rate limits hold for imports too), up to `attempts` (by default ~5 minutes: a
 *   return answered `unavailable` waits for the engine to apply its paid order, which in a bulk
 *   import may be a backlog of a minute or two behind); then the import stops
 *   (ImportAbortedError) rather than skip an order and apply that member's later ones out of order.
 *   Re-running is safe: orders are idempotent by orderId.
 * - Any other 4xx or 5xx (price_mismatch, unknown_item, order_conflict, invalid_request, ...): that
 *   line is rejected with the server's code, the import goes on.
 * - 401/403 (token), or 404/405 without the route: the import stops.
 */
import { z } from 'zod';
import { ImportAbortedError, type BatchOutcome } from './import-client.js';
import type { ImportRecord, LineError } from './import-lines.js';
import { jitteredBackoff, postJson } from './import-http.js';

const AcceptedSchema = z.object({ orderId: z.string(), accepted: z.literal(true), duplicate: z.boolean().optional() }).passthrough();

export interface OrderImportClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A shop or admin token (admin for history older than the shop role's window). */
  token: string;
  /** Attempts per order before the import stops. Default 60 (about 5 minutes of backoff). */
  attempts?: number;
  /** First retry delay (ms), doubled per attempt, with jitter, at most 5 s. Default 250. */
  backoffMs?: number;
  /** Per-request timeout (ms). Default 30,000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

type Answer =
  | { kind: 'accepted'; duplicate: boolean }
  | { kind: 'rejected'; error: LineError }
  | { kind: 'retry'; reason: string; afterMs?: number };

/** Posts orders one by one (see the file comment); `existing` counts orders an earlier run placed. */
export class OrderImportClient {
  private readonly endpoint: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: OrderImportClientOptions) {
    this.endpoint = new URL('/v1/orders', options.url).href;
    this.attempts = options.attempts ?? 60;
    this.backoffMs = options.backoffMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Posts the batch's orders in order; throws ImportAbortedError when the import cannot go on. */
  async send(batch: ImportRecord[]): Promise<BatchOutcome> {
    let accepted = 0;
    let existing = 0;
    const rejected: BatchOutcome['rejected'] = [];
    for (const record of batch) {
      const answer = await this.post(record);
      if (answer.kind === 'rejected') {
        rejected.push({ line: record.line, error: answer.error });
      } else {
        accepted += 1;
        if (answer.duplicate) existing += 1;
      }
    }
    return { accepted, existing, rejected };
  }

  /** One order until it is answered for good. */
  private async post(record: ImportRecord): Promise<Exclude<Answer, { kind: 'retry' }>> {
    let failedInTransit = false;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.attempt(record);
      // Our own earlier attempt may have been placed before its answer was lost: then the duplicate is ours.
      if (answer.kind === 'accepted') return { kind: 'accepted', duplicate: answer.duplicate && !failedInTransit };
      if (answer.kind === 'rejected') return answer;
      failedInTransit = true;
      if (attempt >= this.attempts)
        throw new ImportAbortedError(`${this.endpoint}: line ${record.line}: ${answer.reason} (gave up after ${this.attempts} attempts)`);
      await this.sleep(answer.afterMs ?? jitteredBackoff(this.backoffMs, attempt, 5000));
    }
  }

  private async attempt(record: ImportRecord): Promise<Answer> {
    const posted = await postJson(this.fetch, this.endpoint, this.options.token, JSON.stringify(record.value), this.timeoutMs);
    if (posted.kind === 'unreachable') return { kind: 'retry', reason: posted.reason };
    const { status, response, text, json, error } = posted;
    if (status >= 200 && status < 300) {
      const accepted = AcceptedSchema.safeParse(json);
      if (!accepted.success)
        throw new ImportAbortedError(`${this.endpoint} answered ${status} with an unexpected body: ${text.slice(0, 200)}`);
      return { kind: 'accepted', duplicate: accepted.data.duplicate === true };
    }
    if (status === 401 || status === 403)
      throw new ImportAbortedError(
        `the server refused the token (${status} ${error.code}: ${error.message}); a shop or admin token is needed`,
      );
    // The gateway's own "no route" (or not a Pulse at all): every line would fail the same way.
    if (status === 405 || (status === 404 && (!posted.apiError || /^no route /.test(error.message)))) {
      throw new ImportAbortedError(`${this.endpoint} answered ${status}: is --url a Pulse gateway with POST /v1/orders?`);
    }
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const reason = `${status} ${error.code}: ${error.message}`;
      return Number.isFinite(retryAfter) && retryAfter > 0
        ? { kind: 'retry', reason, afterMs: Math.min(retryAfter, 30) * 1000 }
        : { kind: 'retry', reason };
    }
    return { kind: 'rejected', error };
  }
}
