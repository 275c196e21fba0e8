/**
 * The HTTP side of `npm run import` (see scripts/import.ts): sends batches to the gateway's batch
 * endpoints, retries transient failures with backoff, splits a batch the server refuses whole.
 */
import { z } from 'zod';
import type { ImportKind, ImportRecord, LineError } from './import-lines.js';
import { jitteredBackoff, postJson } from './import-http.js';

/** The import had to stop: the server is unreachable, refused the token, or is not a Pulse gateway. */
export class ImportAbortedError extends Error {
  override name = 'ImportAbortedError';
}

const WireErrorSchema = z.object({ code: z.string(), message: z.string() }).passthrough();
const BatchResponseSchema = z.object({
  accepted: z.number().int().nonnegative().optional(),
  upserted: z.number().int().nonnegative().optional(),
  /** Members: `created` new ones, `existing` ones left as they were. */
  created: z.number().int().nonnegative().optional(),
  existing: z.number().int().nonnegative().optional(),
  rejected: z.array(z.object({ index: z.number().int().nonnegative(), error: WireErrorSchema })),
});

export interface BatchOutcome {
  /** Lines the server took (members: created + existing). */
  accepted: number;
  /** Of those, members that existed already (left unchanged); 0 for other kinds. */
  existing?: number;
  rejected: Array<{ line: number; error: LineError }>;
}

export interface ImportClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  token: string;
  kind: ImportKind;
  /** Attempts per request before giving up on transient failures. Default 5. */
  attempts?: number;
  /** First retry delay (ms), doubled per attempt, with jitter. Default 250. */
  backoffMs?: number;
  /** Per-request timeout (ms). Default 60,000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** The gateway's batch endpoint per kind; the body is `{<kind>: [...]}`. */
const ENDPOINTS: Record<ImportKind, string> = {
  items: '/v1/items/batch',
  members: '/v1/members/batch',
  events: '/v1/events',
  orders: '/v1/orders',
};

type Attempt =
  | { kind: 'ok'; outcome: BatchOutcome }
  | { kind: 'split'; error: LineError }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'fail'; error: LineError };

/** Sends batches to one gateway; maps the server's per-index rejects back to line numbers. */
export class ImportClient {
  private readonly endpoint: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ImportClientOptions) {
    this.endpoint = new URL(ENDPOINTS[options.kind], options.url).href;
    this.attempts = options.attempts ?? 5;
    this.backoffMs = options.backoffMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sends a batch; throws ImportAbortedError when the import cannot go on. */
  async send(batch: ImportRecord[]): Promise<BatchOutcome> {
    const total: BatchOutcome = { accepted: 0, rejected: [] };
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const result = await this.attempt(pending);
      if (result.kind === 'split') {
        if (pending.length === 1) return this.merge(total, { accepted: 0, rejected: [{ line: pending[0]!.line, error: result.error }] });
        const half = Math.ceil(pending.length / 2);
        return this.merge(this.merge(total, await this.send(pending.slice(0, half))), await this.send(pending.slice(half)));
      }
      if (result.kind === 'fail')
        return this.merge(total, { accepted: 0, rejected: pending.map((r) => ({ line: r.line, error: result.error })) });
      if (result.kind === 'ok') {
        // Lines the server could not store right now are retried; retrying with the same id is safe.
        const transient = new Set(result.outcome.rejected.filter((r) => isTransientCode(r.error.code)).map((r) => r.line));
        const lasting = result.outcome.rejected.filter((r) => !transient.has(r.line) || attempt >= this.attempts);
        this.merge(total, { ...result.outcome, rejected: lasting });
        pending = attempt >= this.attempts ? [] : pending.filter((r) => transient.has(r.line));
        if (pending.length === 0) break;
        await this.sleep(jitteredBackoff(this.backoffMs, attempt, 10_000));
        continue;
      }
      if (attempt >= this.attempts) {
        throw new ImportAbortedError(`${this.endpoint}: ${result.reason} (gave up after ${this.attempts} attempts)`);
      }
      await this.sleep(result.afterMs ?? jitteredBackoff(this.backoffMs, attempt, 10_000));
    }
    return total;
  }

  private merge(into: BatchOutcome, from: BatchOutcome): BatchOutcome {
    into.accepted += from.accepted;
    if (from.existing) into.existing = (into.existing ?? 0) + from.existing;
    for (const reject of from.rejected) into.rejected.push(reject);
    return into;
  }

  private async attempt(batch: ImportRecord[]): Promise<Attempt> {
    const body = JSON.stringify({ [this.options.kind]: batch.map((r) => r.value) });
    const posted = await postJson(this.fetch, this.endpoint, this.options.token, body, this.timeoutMs);
    if (posted.kind === 'unreachable') return { kind: 'retry', reason: posted.reason };
    const { status, response, text, json, error } = posted;
    if (status >= 200 && status < 300) {
      const parsed = BatchResponseSchema.safeParse(json);
      if (!parsed.success)
        throw new ImportAbortedError(`${this.endpoint} answered ${status} with an unexpected body: ${text.slice(0, 200)}`);
      const rejected = parsed.data.rejected.map((r) => {
        const record = batch[r.index];
        if (!record) throw new ImportAbortedError(`${this.endpoint} rejected index ${r.index} of a batch of ${batch.length}`);
        return { line: record.line, error: { code: r.error.code, message: r.error.message } };
      });
      const { created, existing } = parsed.data;
      if (created !== undefined) return { kind: 'ok', outcome: { accepted: created + (existing ?? 0), existing: existing ?? 0, rejected } };
      const accepted = parsed.data.accepted ?? parsed.data.upserted ?? batch.length - rejected.length;
      return { kind: 'ok', outcome: { accepted, rejected } };
    }
    if (status === 401 || status === 403)
      throw new ImportAbortedError(`the server refused the token (${status} ${error.code}: ${error.message}); an admin token is needed`);
    if (status === 404 || status === 405) throw new ImportAbortedError(`${this.endpoint} answered ${status}: is --url a Pulse gateway?`);
    if (status === 413 || status === 400) return { kind: 'split', error };
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const afterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : undefined;
      return afterMs === undefined
        ? { kind: 'retry', reason: `${status} ${error.code}: ${error.message}` }
        : { kind: 'retry', reason: `${status} ${error.code}`, afterMs };
    }
    // Anything else (500, other 4xx): these lines fail, the import goes on.
    return { kind: 'fail', error };
  }
}

function isTransientCode(code: string): boolean {
  return code === 'unavailable' || code === 'timeout' || code === 'rate_limited';
}
