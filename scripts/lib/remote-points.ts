/**
 * The URL mode of `npm run check:points`: reads every expected member's balance from a running
 * Pulse (`GET /v1/members/:memberId` as admin, `concurrency` requests in flight) and compares it
 * with the expected one. The engine applies imported events asynchronously, so a check right
 * after an import may see a backlog: while members still mismatch, only those are read again
 * every `pollMs`, until they match, or none of them moved in `stableReads` re-reads in a row (the
 * engine is done with them), or `waitMs` is over. What still mismatches then is reported.
 *
 * It also reads each member's ledger length (`GET /v1/members/:memberId/points?limit=1`), compares
 * it with the expected number of order statuses when one is given (every applied status is one
 * entry, so an order counted twice or lost shows even where the points happen to agree), and prints a digest of every member's points, lifetime points, tier and ledger length: the same
 * digest before and after importing the events again means the second import changed nothing.
 */
import { createHash } from 'node:crypto';
import type { Tier } from '../../engine/contracts/schemas.js';
import { formatCount, formatElapsed, formatRate } from './progress.js';
import { parseJson, readConcurrently, remoteReader, RemoteCheckError, sleep } from './remote-reader.js';

export { RemoteCheckError };

export interface Balance {
  points: number;
  lifetimePoints: number;
  tier: Tier;
}

export interface RemotePointsOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Admin bearer token. */
  token: string;
  /** memberId -> the balance it must have; with `orders`, also that many ledger entries (one per order status applied). */
  expected: ReadonlyMap<string, Balance & { orders?: number }>;
  /** Requests in flight. Default 16. */
  concurrency?: number;
  /** Longest wait for a backlog to drain (ms). Default 120,000. */
  waitMs?: number;
  /** Time between two reads of the still mismatching members (ms). Default 2,000. */
  pollMs?: number;
  /** Re-reads in a row without any change after which a mismatch counts as final. Default 3. */
  stableReads?: number;
  progressStream?: NodeJS.WritableStream;
  fetch?: typeof fetch;
}

export interface RemotePointsReport {
  members: number;
  mismatches: number;
  /** Of the mismatches: members the server does not know (404). */
  missing: number;
  /** Up to 10 lines `memberId: pulse {...} expected {...}`. */
  examples: string[];
  /** sha256 (16 hex digits) over `memberId points lifetimePoints tier ledgerLength` lines, by memberId. */
  digest: string;
  /** Ledger entries over all members. */
  ledgerEntries: number;
  /** Profiles read over all rounds, and how long the first full round took (s). */
  reads: number;
  firstRoundSeconds: number;
  /** Rounds run (1 = no re-read was needed). */
  rounds: number;
  seconds: number;
}

type Read = (Balance & { ledger: number }) | 'missing';

/** Reads and compares (see the file comment). */
export async function checkRemotePoints(options: RemotePointsOptions): Promise<RemotePointsReport> {
  const started = performance.now();
  const concurrency = options.concurrency ?? 16;
  const waitMs = options.waitMs ?? 120_000;
  const pollMs = options.pollMs ?? 2000;
  const stableReads = options.stableReads ?? 3;
  const deadline = started + waitMs;
  const reader = remoteReader({ url: options.url, token: options.token, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const get = (path: string) => reader.get(path);

  const readOne = async (memberId: string): Promise<Read> => {
    const base = `/v1/members/${encodeURIComponent(memberId)}`;
    const profile = await get(base);
    if (profile.status === 404) return 'missing';
    if (profile.status !== 200) throw new RemoteCheckError(`${profile.endpoint} answered ${profile.status}: ${profile.text.slice(0, 200)}`);
    const page = await get(`${base}/points?limit=1`);
    if (page.status !== 200) throw new RemoteCheckError(`${page.endpoint} answered ${page.status}: ${page.text.slice(0, 200)}`);
    // entryIds run 1, 2, 3, ...: the newest one is the ledger's length.
    const newest = (parseJson(page) as { entries?: Array<{ entryId?: unknown }> }).entries?.[0]?.entryId;
    return { ...balanceOf(profile), ledger: typeof newest === 'number' ? newest : 0 };
  };

  const readAll = (ids: readonly string[], label: string) =>
    readConcurrently(ids, readOne, { concurrency, label, unit: 'members', progressStream: options.progressStream });

  const ids = [...options.expected.keys()];
  let current = await readAll(ids, 'check points');
  const firstRoundSeconds = (performance.now() - started) / 1000;
  let rounds = 1;
  let wrong = ids.filter((id) => !matches(current.get(id)!, options.expected.get(id)!));
  let unchanged = 0;
  while (wrong.length > 0 && unchanged < stableReads && performance.now() + pollMs < deadline) {
    await sleep(pollMs);
    rounds += 1;
    const again = await readAll(wrong, `engine still applying? re-read ${formatCount(wrong.length)} mismatching`);
    const moved = wrong.some((id) => JSON.stringify(again.get(id)) !== JSON.stringify(current.get(id)));
    unchanged = moved ? 0 : unchanged + 1;
    current = new Map([...current, ...again]);
    wrong = wrong.filter((id) => !matches(current.get(id)!, options.expected.get(id)!));
  }
  const shown = (read: Read | undefined, ledger: boolean) =>
    JSON.stringify(
      read === undefined || read === 'missing'
        ? read
        : { points: read.points, lifetimePoints: read.lifetimePoints, tier: read.tier, ...(ledger ? { orders: read.ledger } : {}) },
    );
  const examples = wrong.slice(0, 10).map((id) => {
    const want = options.expected.get(id)!;
    return `${id}: pulse ${shown(current.get(id), want.orders !== undefined)} expected ${JSON.stringify(want)}`;
  });
  const hash = createHash('sha256');
  let ledgerEntries = 0;
  for (const id of [...ids].sort()) {
    const read = current.get(id)!;
    if (read !== 'missing') ledgerEntries += read.ledger;
    hash.update(read === 'missing' ? `${id} missing\n` : `${id} ${read.points} ${read.lifetimePoints} ${read.tier} ${read.ledger}\n`);
  }
  return {
    digest: hash.digest('hex').slice(0, 16),
    ledgerEntries,
    members: ids.length,
    mismatches: wrong.length,
    missing: wrong.filter((id) => current.get(id) === 'missing').length,
    examples,
    reads: reader.reads,
    firstRoundSeconds,
    rounds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The report as printed. */
export function formatRemoteReport(report: RemotePointsReport, url: string): string[] {
  return [
    `  read ${formatCount(report.members)} members from ${url} in ${formatElapsed(report.firstRoundSeconds)} (${formatRate(report.members / report.firstRoundSeconds, 'members')}); ${report.rounds} round(s), ${formatCount(report.reads)} reads, ${formatElapsed(report.seconds)} in all`,
    `  mismatches: ${report.mismatches}${report.missing > 0 ? ` (${report.missing} not members)` : ''}`,
    ...report.examples.map((line) => `  ${line}`),
    `  ledger entries: ${formatCount(report.ledgerEntries)}; digest of every member's points, lifetime points, tier and ledger length: ${report.digest}`,
  ];
}

function matches(read: Read, expected: Balance & { orders?: number }): boolean {
  if (
    read === 'missing' ||
    read.points !== expected.points ||
    read.lifetimePoints !== expected.lifetimePoints ||
    read.tier !== expected.tier
  )
    return false;
  return expected.orders === undefined || read.ledger === expected.orders;
}

function balanceOf(response: { status: number; text: string; endpoint: string }): Balance {
  const { text, endpoint } = response;
  const { points, lifetimePoints, tier } = (parseJson(response) ?? {}) as Record<string, unknown>;
  if (typeof points !== 'number' || typeof lifetimePoints !== 'number' || (tier !== 'regular' && tier !== 'vip' && tier !== 'enterprise')) {
    throw new RemoteCheckError(`${endpoint} answered 200 without points, lifetimePoints and tier: ${text.slice(0, 200)}`);
  }
  return { points, lifetimePoints, tier };
}
