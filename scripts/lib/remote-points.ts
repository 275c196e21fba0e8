/**
 * The URL mode of `npm run check:points`: reads every expected member's balance from a running
 * Pulse (`GET /v1/members/:memberId` as admin, `concurrency` requests in flight) and compares it
 * with the expected one. The engine applies imported events asynchronously, so a check right
 * after an import may see a backlog: while members still mismatch, only those are read again
 * every `pollMs`, until they match, or none of them moved in `stableReads` re-reads in a row (the
 * engine is done with them), or `waitMs` is over. What still mismatches then is reported.
 *
 * It also reads each member's ledger length (`GET /v1/members/:memberId/points?limit=1`) and
 * prints a digest of every member's points, lifetime points, tier and ledger length: the same
 * digest before and after importing the events again means the second import changed nothing.
 */
import { createHash } from 'node:crypto';
import type { Tier } from '../../engine/contracts/schemas.js';
import { Progress, formatCount, formatElapsed, formatRate } from './progress.js';

export interface Balance {
  points: number;
  lifetimePoints: number;
  tier: Tier;
}

/** The check cannot go on: the server refused the token, or is not a Pulse gateway. */
export class RemoteCheckError extends Error {
  override name = 'RemoteCheckError';
}

export interface RemotePointsOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Admin bearer token. */
  token: string;
  /** memberId -> the balance it must have. */
  expected: ReadonlyMap<string, Balance>;
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
  const doFetch = options.fetch ?? fetch;
  const deadline = started + waitMs;
  let reads = 0;

  /** GET with retries on network errors and 502/503/504; 401/403 stop the check. */
  const get = async (path: string): Promise<{ status: number; text: string; endpoint: string }> => {
    const endpoint = new URL(path, options.url).href;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        const response = await doFetch(endpoint, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(30_000) });
        status = response.status;
        text = await response.text();
      } catch (err) {
        if (attempt >= 5) throw new RemoteCheckError(`${endpoint}: server unreachable (${(err as Error).message})`);
        await sleep(200 * attempt);
        continue;
      }
      reads += 1;
      if (status === 401 || status === 403) throw new RemoteCheckError(`the server refused the token (${status}: ${text.slice(0, 200)}); an admin token is needed`);
      if ((status === 502 || status === 503 || status === 504) && attempt < 5) {
        await sleep(200 * attempt);
        continue;
      }
      return { status, text, endpoint };
    }
  };

  const readOne = async (memberId: string): Promise<Read> => {
    const base = `/v1/members/${encodeURIComponent(memberId)}`;
    const profile = await get(base);
    if (profile.status === 404) return 'missing';
    if (profile.status !== 200) throw new RemoteCheckError(`${profile.endpoint} answered ${profile.status}: ${profile.text.slice(0, 200)}`);
    const page = await get(`${base}/points?limit=1`);
    if (page.status !== 200) throw new RemoteCheckError(`${page.endpoint} answered ${page.status}: ${page.text.slice(0, 200)}`);
    // entryIds run 1, 2, 3, ...: the newest one is the ledger's length.
    const newest = (parseJson(page.text, page.endpoint) as { entries?: Array<{ entryId?: unknown }> }).entries?.[0]?.entryId;
    return { ...balanceOf(profile.text, profile.endpoint), ledger: typeof newest === 'number' ? newest : 0 };
  };

  const readAll = async (ids: readonly string[], label: string): Promise<Map<string, Read>> => {
    const progress = new Progress({ label, unit: 'members', total: ids.length, stream: options.progressStream });
    const out = new Map<string, Read>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        out.set(id, await readOne(id));
        progress.tick();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    } finally {
      progress.done();
    }
    return out;
  };

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
  const shown = (read: Read | undefined) => JSON.stringify(read === undefined || read === 'missing' ? read : { points: read.points, lifetimePoints: read.lifetimePoints, tier: read.tier });
  const examples = wrong.slice(0, 10).map((id) => `${id}: pulse ${shown(current.get(id))} expected ${JSON.stringify(options.expected.get(id))}`);
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
    reads,
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

function matches(read: Read, expected: Balance): boolean {
  return read !== 'missing' && read.points === expected.points && read.lifetimePoints === expected.lifetimePoints && read.tier === expected.tier;
}

function parseJson(text: string, endpoint: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RemoteCheckError(`${endpoint} answered 200 with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

function balanceOf(text: string, endpoint: string): Balance {
  const { points, lifetimePoints, tier } = (parseJson(text, endpoint) ?? {}) as Record<string, unknown>;
  if (typeof points !== 'number' || typeof lifetimePoints !== 'number' || (tier !== 'regular' && tier !== 'vip' && tier !== 'enterprise')) {
    throw new RemoteCheckError(`${endpoint} answered 200 without points, lifetimePoints and tier: ${text.slice(0, 200)}`);
  }
  return { points, lifetimePoints, tier };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
