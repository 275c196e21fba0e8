/**
 * `npm run import -- --items F.jsonl | --events F.jsonl [--url URL] [--token T] [--batch 500] [--concurrency 4]`
 *
 * Loads a JSON Lines file (or `.jsonl.gz`) into a running Pulse through the gateway's public HTTP
 * API, so it works against any deployment: items with `POST /v1/items/batch`, events with
 * `POST /v1/events`, both with an admin token (`--token`, else minted from AUTH_SECRET).
 *
 * - Lines are parsed locally only as JSON (blank lines skipped; a line that is not a JSON object
 *   is rejected as `invalid_json` with its line number). Validation is the server's: it is the
 *   authority and may be newer than this tool.
 * - Idempotent re-runs: an event line without `id` gets a deterministic one,
 *   `imp:<file name>:<line number>:<hash of the line's text>`, so retrying a batch or re-running
 *   the same file never counts an event twice (the events endpoint dedupes by user and id), while
 *   another file that merely shares the name does not collide. Items are upserts by itemId.
 * - Failures: a batch is retried with backoff on network errors, 429/502/503/504 and per-line
 *   `unavailable` rejects; a 413 or 400 for a whole batch splits it in halves until the offending
 *   line is isolated and rejected alone. Rejects never stop the import.
 * - Exit code: 0 when the file was read to the end (even with rejects), 1 when the server was
 *   unreachable, refused the token or answered nonsense, 2 for a bad command line.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from './lib/args.js';
import { openLines } from './lib/jsonl.js';
import { Progress, formatCount, formatElapsed, formatRate } from './lib/progress.js';

export type ImportKind = 'items' | 'events';

/** A reject as the summary shows it: the server's `{code, message}` or a local one. */
export interface LineError {
  code: string;
  message: string;
}

export interface ImportRecord {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

export type ParsedLine = { kind: 'blank' } | { kind: 'record'; record: ImportRecord } | { kind: 'reject'; line: number; error: LineError };

/** The file's base name reduced to id-safe characters (ids allow letters, digits and `_ . : @ -`). */
export function fileTagOf(path: string): string {
  return (
    basename(path)
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .slice(0, 60) || 'file'
  );
}

/** The deterministic id of an event line that has none (see the header comment). At most 88 chars. */
export function importEventId(fileTag: string, line: number, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `imp:${fileTag}:${line}:${hash}`;
}

/** Parses one line of the input; events without an `id` get their deterministic one. */
export function parseImportLine(text: string, line: number, kind: ImportKind, fileTag: string): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { kind: 'reject', line, error: { code: 'invalid_json', message: `not JSON: ${(err as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'reject', line, error: { code: 'invalid_json', message: 'line is not a JSON object' } };
  }
  const record = value as Record<string, unknown>;
  if (kind === 'events' && record.id === undefined) record.id = importEventId(fileTag, line, trimmed);
  return { kind: 'record', record: { line, value: record } };
}

/** Collects records into batches of `size`, in file order. */
export class Batcher {
  private current: ImportRecord[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  }

  /** Adds a record; returns a full batch when this one completed it. */
  push(record: ImportRecord): ImportRecord[] | undefined {
    this.current.push(record);
    if (this.current.length < this.size) return undefined;
    return this.flush();
  }

  /** The pending partial batch, if any. */
  flush(): ImportRecord[] | undefined {
    if (this.current.length === 0) return undefined;
    const batch = this.current;
    this.current = [];
    return batch;
  }
}

export interface RejectGroup {
  code: string;
  message: string;
  count: number;
  /** The first few line numbers with this reason, ascending. */
  firstLines: number[];
}

/** Rejected lines grouped by reason (code + message), for the summary. */
export class RejectTally {
  private readonly groups = new Map<string, RejectGroup>();
  private count = 0;

  constructor(private readonly linesPerGroup = 5) {}

  get total(): number {
    return this.count;
  }

  add(line: number, error: LineError): void {
    this.count += 1;
    const key = `${error.code}\u0000${error.message}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { code: error.code, message: error.message, count: 0, firstLines: [] };
      this.groups.set(key, group);
    }
    group.count += 1;
    // Batches finish out of order: keep the smallest line numbers, not the first seen.
    group.firstLines.push(line);
    group.firstLines.sort((a, b) => a - b);
    if (group.firstLines.length > this.linesPerGroup) group.firstLines.pop();
  }

  /** The `n` largest groups, largest first (ties: code, then message). */
  top(n: number): RejectGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || a.message.localeCompare(b.message)).slice(0, n);
  }

  get groupCount(): number {
    return this.groups.size;
  }
}

/** The import had to stop: the server is unreachable, refused the token, or is not a Pulse gateway. */
export class ImportAbortedError extends Error {
  override name = 'ImportAbortedError';
}

const WireErrorSchema = z.object({ code: z.string(), message: z.string() }).passthrough();
const BatchResponseSchema = z.object({
  accepted: z.number().int().nonnegative().optional(),
  upserted: z.number().int().nonnegative().optional(),
  rejected: z.array(z.object({ index: z.number().int().nonnegative(), error: WireErrorSchema })),
});
const ErrorResponseSchema = z.object({ error: WireErrorSchema });

export interface BatchOutcome {
  accepted: number;
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

type Attempt = { kind: 'ok'; outcome: BatchOutcome } | { kind: 'split'; error: LineError } | { kind: 'retry'; reason: string; afterMs?: number } | { kind: 'fail'; error: LineError };

/** Sends batches to one gateway; maps the server's per-index rejects back to line numbers. */
export class ImportClient {
  private readonly endpoint: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ImportClientOptions) {
    this.endpoint = new URL(options.kind === 'items' ? '/v1/items/batch' : '/v1/events', options.url).href;
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
      if (result.kind === 'fail') return this.merge(total, { accepted: 0, rejected: pending.map((r) => ({ line: r.line, error: result.error })) });
      if (result.kind === 'ok') {
        // Lines the server could not store right now are retried; retrying with the same id is safe.
        const transient = new Set(result.outcome.rejected.filter((r) => isTransientCode(r.error.code)).map((r) => r.line));
        const lasting = result.outcome.rejected.filter((r) => !transient.has(r.line) || attempt >= this.attempts);
        this.merge(total, { accepted: result.outcome.accepted, rejected: lasting });
        pending = attempt >= this.attempts ? [] : pending.filter((r) => transient.has(r.line));
        if (pending.length === 0) break;
        await this.sleep(this.delay(attempt));
        continue;
      }
      if (attempt >= this.attempts) {
        throw new ImportAbortedError(`${this.endpoint}: ${result.reason} (gave up after ${this.attempts} attempts)`);
      }
      await this.sleep(result.afterMs ?? this.delay(attempt));
    }
    return total;
  }

  private merge(into: BatchOutcome, from: BatchOutcome): BatchOutcome {
    into.accepted += from.accepted;
    for (const reject of from.rejected) into.rejected.push(reject);
    return into;
  }

  /** Exponential backoff with ±25% jitter so concurrent batches do not retry in lockstep (ms). */
  private delay(attempt: number): number {
    const base = Math.min(this.backoffMs * 2 ** (attempt - 1), 10_000);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private async attempt(batch: ImportRecord[]): Promise<Attempt> {
    const body = JSON.stringify(this.options.kind === 'items' ? { items: batch.map((r) => r.value) } : { events: batch.map((r) => r.value) });
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      return { kind: 'retry', reason: `server unreachable: ${cause}` };
    }
    const status = response.status;
    const json = safeJson(text);
    const serverError = ErrorResponseSchema.safeParse(json);
    const error: LineError = serverError.success ? { code: serverError.data.error.code, message: serverError.data.error.message } : { code: `http_${status}`, message: text.slice(0, 200) || response.statusText };
    if (status >= 200 && status < 300) {
      const parsed = BatchResponseSchema.safeParse(json);
      if (!parsed.success) throw new ImportAbortedError(`${this.endpoint} answered ${status} with an unexpected body: ${text.slice(0, 200)}`);
      const rejected = parsed.data.rejected.map((r) => {
        const record = batch[r.index];
        if (!record) throw new ImportAbortedError(`${this.endpoint} rejected index ${r.index} of a batch of ${batch.length}`);
        return { line: record.line, error: { code: r.error.code, message: r.error.message } };
      });
      const accepted = parsed.data.accepted ?? parsed.data.upserted ?? batch.length - rejected.length;
      return { kind: 'ok', outcome: { accepted, rejected } };
    }
    if (status === 401 || status === 403) throw new ImportAbortedError(`the server refused the token (${status} ${error.code}: ${error.message}); an admin token is needed`);
    if (status === 404 || status === 405) throw new ImportAbortedError(`${this.endpoint} answered ${status}: is --url a Pulse gateway?`);
    if (status === 413 || status === 400) return { kind: 'split', error };
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const afterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : undefined;
      return afterMs === undefined ? { kind: 'retry', reason: `${status} ${error.code}: ${error.message}` } : { kind: 'retry', reason: `${status} ${error.code}`, afterMs };
    }
    // Anything else (500, other 4xx): these lines fail, the import goes on.
    return { kind: 'fail', error };
  }
}

function isTransientCode(code: string): boolean {
  return code === 'unavailable' || code === 'timeout' || code === 'rate_limited';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ImportSummary {
  kind: ImportKind;
  file: string;
  /** Lines read, blank ones included. */
  lines: number;
  accepted: number;
  rejects: RejectTally;
  seconds: number;
  /** Why the import stopped before the end of the file, if it did. */
  aborted?: string;
}

export interface RunImportOptions {
  path: string;
  kind: ImportKind;
  client: Pick<ImportClient, 'send'>;
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** Progress output; default stderr. */
  progressStream?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** Streams the file through the client; resolves with the summary (also when aborted). */
export async function runImport(options: RunImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const source = await openLines(options.path);
  const fileTag = fileTagOf(options.path);
  const progress = new Progress({ label: `import ${options.kind}`, unit: 'lines', fraction: source.fraction, stream: options.progressStream });
  const batcher = new Batcher(options.batchSize);
  const rejects = new RejectTally();
  const inFlight = new Set<Promise<void>>();
  let accepted = 0;
  let lines = 0;
  let aborted: string | undefined;

  const dispatch = async (batch: ImportRecord[]): Promise<void> => {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (aborted !== undefined) return;
    const task = options.client.send(batch).then(
      (outcome) => {
        accepted += outcome.accepted;
        for (const reject of outcome.rejected) rejects.add(reject.line, reject.error);
      },
      (err: unknown) => {
        if (!(err instanceof ImportAbortedError)) throw err;
        aborted ??= err.message;
      },
    );
    const tracked = task.finally(() => inFlight.delete(tracked));
    // A programmer error surfaces through Promise.race/all below, not as an unhandled rejection.
    tracked.catch(() => undefined);
    inFlight.add(tracked);
  };

  try {
    for await (const text of source.lines) {
      if (aborted !== undefined) break;
      if (options.signal?.aborted) {
        aborted = 'interrupted';
        break;
      }
      lines += 1;
      progress.tick();
      const parsed = parseImportLine(text, lines, options.kind, fileTag);
      if (parsed.kind === 'reject') rejects.add(parsed.line, parsed.error);
      if (parsed.kind !== 'record') continue;
      const batch = batcher.push(parsed.record);
      if (batch) await dispatch(batch);
    }
    const last = batcher.flush();
    if (last && aborted === undefined) await dispatch(last);
    await Promise.all(inFlight);
  } finally {
    source.close();
    progress.done();
  }
  const summary: ImportSummary = { kind: options.kind, file: options.path, lines, accepted, rejects, seconds: (performance.now() - started) / 1000 };
  if (aborted !== undefined) summary.aborted = aborted;
  return summary;
}

/** The summary as printed at the end: totals, then the top 10 reject reasons. */
export function formatSummary(summary: ImportSummary): string {
  const { rejects } = summary;
  const out = [
    `${summary.kind} from ${summary.file}`,
    `  lines     ${formatCount(summary.lines)}`,
    `  accepted  ${formatCount(summary.accepted)}`,
    `  rejected  ${formatCount(rejects.total)}`,
    `  time      ${formatElapsed(summary.seconds)}  (${formatRate(summary.seconds > 0 ? summary.lines / summary.seconds : Number.NaN, 'lines')})`,
  ];
  if (rejects.total > 0) {
    out.push(`rejected by reason (top 10 of ${rejects.groupCount}):`);
    for (const group of rejects.top(10)) {
      out.push(`  ${formatCount(group.count).padStart(9)}  ${group.code}: ${group.message}  (lines ${group.firstLines.join(', ')}${group.count > group.firstLines.length ? ', ...' : ''})`);
    }
  }
  if (summary.aborted !== undefined) {
    out.push(`ABORTED after reading ${formatCount(summary.lines)} lines: ${summary.aborted}`);
    out.push('  re-running the same command is safe: items are upserts and event ids are deterministic.');
  }
  return out.join('\n');
}

export const USAGE = `usage: npm run import -- (--items FILE.jsonl | --events FILE.jsonl) [options]
  --items FILE     one Item per line (.jsonl or .jsonl.gz)
  --events FILE    one Event per line; may carry userId and ts; lines without id get a deterministic one
  --url URL        gateway base URL (default http://127.0.0.1:\${PORT:-8080})
  --token TOKEN    admin bearer token (default: minted from AUTH_SECRET)
  --batch N        lines per request, 1-1000 (default 500)
  --concurrency N  requests in flight, 1-64 (default 4)`;

/** The admin token: --token, else one signed with AUTH_SECRET, else a UsageError (exit 2). */
export async function resolveToken(token: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (token !== undefined && token !== '') return token;
  const secret = env.AUTH_SECRET;
  if (secret === undefined || secret === '') {
    throw new UsageError('an admin token is needed: pass --token (e.g. from `npm run token -- --role admin`) or set AUTH_SECRET to the server\'s secret');
  }
  // Loaded here, not at the top, so unit tests of the pure parts need no gateway code.
  const { TokenService } = await import('../gateway/auth.js');
  return new TokenService(secret).sign({ sub: 'import', role: 'admin' }, 24 * 3600);
}

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), {
    items: { type: 'string' },
    events: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ((args.items === undefined) === (args.events === undefined)) throw new UsageError('give exactly one of --items FILE or --events FILE');
  const kind: ImportKind = args.items !== undefined ? 'items' : 'events';
  const path = (args.items ?? args.events)!;
  const url = args.url ?? `http://127.0.0.1:${process.env.PORT || 8080}`;
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  const batchSize = intOption('batch', args.batch, 500, 1, 1000);
  const concurrency = intOption('concurrency', args.concurrency, 4, 1, 64);
  const client = new ImportClient({ url, kind, token: await resolveToken(args.token, process.env) });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const summary = await runImport({ path, kind, client, batchSize, concurrency, signal: controller.signal }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${path}`);
    throw err;
  });
  process.stdout.write(`${formatSummary(summary)}\n`);
  return summary.aborted === undefined ? 0 : summary.aborted === 'interrupted' ? 130 : 1;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
