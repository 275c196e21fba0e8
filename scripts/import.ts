/**
 * `npm run import -- --items F.jsonl | --members F.jsonl | --events F.jsonl | --orders F.jsonl [--url URL] [--token T] [--batch 500] [--concurrency 4]`
 *
 * Loads a JSON Lines file (or `.jsonl.gz`) into a running Pulse through the gateway's public HTTP
 * API, so it works against any deployment: items with `POST /v1/items/batch`, members with
 * `POST /v1/members/batch`, events with `POST /v1/events`, orders with `POST /v1/orders` (one
 * request per order: scripts/lib/order-import.ts), all with an admin token (`--token`, else
 * minted from AUTH_SECRET; a `shop` token does for orders of the last days, not for history).
 *
 * - Order: lines are spread over `--concurrency` lanes by key (an event's userId, an item's or a
 *   member's id; see laneOf), each lane with one request in flight, so one user's events reach
 *   the event log in file order. The exception is a line the server rejected as transient
 *   (`unavailable`: the log did not confirm in time): it is retried after the rest of its batch.
 * - Members: an existing memberId is left unchanged and counted as existing, so a re-run is safe.
 * - Orders: one member's orders in file order, each after the previous one was answered (points
 *   depend on the tier held when each is applied); an order placed before (same orderId and
 *   status, same returned lines) is answered `duplicate` and counted apart, so a re-run is safe.
 *   Lanes default to 16 for orders (one request per order).
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
import { UsageError, intOption, isMain, parseCommandLine, runMain } from './lib/args.js';
import { keptAuthSecret } from './lib/auth-secret.js';
import { ImportAbortedError, ImportClient } from './lib/import-client.js';
import { OrderImportClient } from './lib/order-import.js';
import { Batcher, RejectTally, fileTagOf, laneOf, parseImportLine, type ImportKind, type ImportRecord } from './lib/import-lines.js';
import { openLines } from './lib/jsonl.js';
import { Progress, formatCount, formatElapsed, formatRate } from './lib/progress.js';
import { loadConfigOrExit } from './lib/startup.js';

export interface ImportSummary {
  kind: ImportKind;
  file: string;
  /** Lines read, blank ones included. */
  lines: number;
  accepted: number;
  /** Members: accepted lines whose memberId existed already (left unchanged); orders: placed before. */
  existing?: number;
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
  /** Lanes, each with one batch in flight (see the file comment). */
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
  const progress = new Progress({
    label: `import ${options.kind}`,
    unit: 'lines',
    fraction: source.fraction,
    stream: options.progressStream,
  });
  // One batcher and at most one request per lane: a key's lines keep their file order.
  const lanes = Array.from({ length: options.concurrency }, () => ({ batcher: new Batcher(options.batchSize), busy: Promise.resolve() }));
  const rejects = new RejectTally();
  let accepted = 0;
  let existing = 0;
  let lines = 0;
  let aborted: string | undefined;

  const dispatch = async (lane: (typeof lanes)[number], batch: ImportRecord[]): Promise<void> => {
    await lane.busy;
    if (aborted !== undefined) return;
    const task = options.client.send(batch).then(
      (outcome) => {
        accepted += outcome.accepted;
        existing += outcome.existing ?? 0;
        for (const reject of outcome.rejected) rejects.add(reject.line, reject.error);
      },
      (err: unknown) => {
        if (!(err instanceof ImportAbortedError)) throw err;
        aborted ??= err.message;
      },
    );
    // A programmer error surfaces through the next await of this lane or Promise.all below, not as an unhandled rejection.
    task.catch(() => undefined);
    lane.busy = task;
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
      const lane = lanes[laneOf(parsed.record, options.kind, lanes.length)]!;
      const batch = lane.batcher.push(parsed.record);
      if (batch) await dispatch(lane, batch);
    }
    for (const lane of lanes) {
      const last = lane.batcher.flush();
      if (last && aborted === undefined) await dispatch(lane, last);
    }
    await Promise.all(lanes.map((lane) => lane.busy));
  } finally {
    source.close();
    progress.done();
  }
  const summary: ImportSummary = {
    kind: options.kind,
    file: options.path,
    lines,
    accepted,
    rejects,
    seconds: (performance.now() - started) / 1000,
  };
  if (options.kind === 'members' || options.kind === 'orders') summary.existing = existing;
  if (aborted !== undefined) summary.aborted = aborted;
  return summary;
}

/** The summary as printed at the end: totals, then the top 10 reject reasons. */
export function formatSummary(summary: ImportSummary): string {
  const { rejects } = summary;
  const out = [
    `${summary.kind} from ${summary.file}`,
    `  lines     ${formatCount(summary.lines)}`,
    `  accepted  ${formatCount(summary.accepted)}${summary.kind === 'members' ? `  (${formatCount(summary.existing ?? 0)} existed already, left unchanged)` : summary.kind === 'orders' ? `  (${formatCount(summary.existing ?? 0)} placed before, counted once)` : ''}`,
    `  rejected  ${formatCount(rejects.total)}`,
    `  time      ${formatElapsed(summary.seconds)}  (${formatRate(summary.seconds > 0 ? summary.lines / summary.seconds : Number.NaN, 'lines')})`,
  ];
  if (rejects.total > 0) {
    out.push(`rejected by reason (top 10 of ${rejects.groupCount}):`);
    for (const group of rejects.top(10)) {
      out.push(
        `  ${formatCount(group.count).padStart(9)}  ${group.code}: ${group.message}  (lines ${group.firstLines.join(', ')}${group.count > group.firstLines.length ? ', ...' : ''})`,
      );
    }
  }
  if (summary.aborted !== undefined) {
    out.push(`ABORTED after reading ${formatCount(summary.lines)} lines: ${summary.aborted}`);
    out.push(
      '  re-running the same command is safe: items are upserts, existing members are kept, event ids are deterministic and orders count once by orderId.',
    );
  }
  return out.join('\n');
}

export const USAGE = `usage: npm run import -- (--items FILE.jsonl | --members FILE.jsonl | --events FILE.jsonl | --orders FILE.jsonl) [options]
  --items FILE     one Item per line (.jsonl or .jsonl.gz)
  --members FILE   one member per line: {memberId, email?, name, createdAt?}; existing ids are left unchanged
  --events FILE    one Event per line; may carry userId and ts; lines without id get a deterministic one
  --orders FILE    one order per line, the body of POST /v1/orders: {orderId, userId, status, lines, ts?};
                   a member's orders are sent in file order; an order placed before counts once
  --url URL        gateway base URL (default http://127.0.0.1:\${PORT:-8080})
  --token TOKEN    admin bearer token (default: minted from AUTH_SECRET, else, outside production, from the
                   development secret npm start keeps in DATA_DIR/auth-secret)
  --batch N        lines per request, 1-1000 (default 500; orders: lines per lane turn, default 25, each order its own request)
  --concurrency N  requests in flight, 1-64 (default 4, orders 16); one user's events and orders stay in file order`;

/**
 * The admin token: --token, else one signed with AUTH_SECRET, else (outside production) with the
 * development secret a local `npm start` keeps in DATA_DIR/auth-secret, else a UsageError (exit 2).
 */
export async function resolveToken(token: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (token !== undefined && token !== '') return token;
  const secret = env.AUTH_SECRET || (env.NODE_ENV === 'production' ? undefined : keptAuthSecret(env.DATA_DIR || './data'));
  if (secret === undefined || secret === '') {
    throw new UsageError(
      "an admin token is needed: pass --token (e.g. from `npm run token -- --role admin`) or set AUTH_SECRET to the server's secret (a local npm start keeps one in DATA_DIR/auth-secret)",
    );
  }
  // Loaded here, not at the top, so unit tests of the pure parts need no gateway code.
  const { TokenService } = await import('../gateway/auth.js');
  return new TokenService(secret).sign({ sub: 'import', role: 'admin' }, 24 * 3600);
}

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), {
    items: { type: 'string' },
    members: { type: 'string' },
    events: { type: 'string' },
    orders: { type: 'string' },
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
  const given = (['items', 'members', 'events', 'orders'] as const).filter((k) => args[k] !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --items FILE, --members FILE, --events FILE or --orders FILE');
  const kind: ImportKind = given[0]!;
  const path = args[kind]!;
  // The variables it reads, checked as the gateway checks them: every problem at once, one line each.
  const { loadConfig } = await import('../engine/contracts/env.js');
  const { gatewayConfigSpec } = await import('../gateway/config.js');
  const config = loadConfigOrExit('import', () => loadConfig({ port: gatewayConfigSpec.port }));
  const url = args.url ?? `http://127.0.0.1:${config.port}`;
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  // Orders: one request each, so a lane's turn is short and the other lanes keep the reader moving.
  const batchSize = intOption('batch', args.batch, kind === 'orders' ? 25 : 500, 1, 1000);
  const concurrency = intOption('concurrency', args.concurrency, kind === 'orders' ? 16 : 4, 1, 64);
  const token = await resolveToken(args.token, process.env);
  const client = kind === 'orders' ? new OrderImportClient({ url, token }) : new ImportClient({ url, kind, token });
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
