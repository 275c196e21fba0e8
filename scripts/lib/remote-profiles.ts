/**
 * The comparison of `npm run check:profiles`: reads every expected customer's profile from a
 * running Pulse (`GET /v1/users/:id/profile?at=` as admin, `concurrency` in flight) and the shop's
 * segment sizes (`GET /v1/analytics/segments?at=&limit=1000`), and compares recency, frequency,
 * monetary value, their scores and the segments with the expected ones. As check:points does, it
 * re-reads what still mismatches every `pollMs` while the engine may be applying a backlog, until
 * it matches, stops moving for `stableReads` rounds, or `waitMs` is over.
 */
import type { Expected } from '../online-retail/independent-rfm.js';
import { formatCount, formatElapsed, formatRate } from './progress.js';
import { parseJson, readConcurrently, remoteReader, RemoteCheckError, sleep } from './remote-reader.js';

export interface RemoteProfilesOptions {
  url: string;
  token: string;
  /** userId -> what its profile must say at `at`. */
  expected: ReadonlyMap<string, Expected>;
  /** Reference time (epoch ms) passed as `?at=`. */
  at: number;
  /** Largest |monetary - expected| that still matches (currency units). */
  monetaryTolerance: number;
  concurrency?: number;
  waitMs?: number;
  pollMs?: number;
  stableReads?: number;
  progressStream?: NodeJS.WritableStream;
  fetch?: typeof fetch;
}

/** What a profile says, as far as the check goes; 'missing' for a 404. */
type Read = Expected | 'missing';

export interface RemoteProfilesReport {
  customers: number;
  /** Profiles that differ, and of them the ones the server does not know. */
  mismatches: number;
  missing: number;
  /** Up to 10 lines `userId: pulse {...} expected {...}`. */
  examples: string[];
  /** Segment -> [pulse, expected] for every segment either side lists. */
  segmentSizes: Record<string, [number, number]>;
  /** Segments whose sizes differ. */
  segmentMismatches: string[];
  reads: number;
  firstRoundSeconds: number;
  rounds: number;
  seconds: number;
}

export async function checkRemoteProfiles(options: RemoteProfilesOptions): Promise<RemoteProfilesReport> {
  const started = performance.now();
  const { concurrency = 16, waitMs = 120_000, pollMs = 2000, stableReads = 3 } = options;
  const deadline = started + waitMs;
  const reader = remoteReader({ url: options.url, token: options.token, ...(options.fetch ? { fetch: options.fetch } : {}) });

  const readOne = async (userId: string): Promise<Read> => {
    const response = await reader.get(`/v1/users/${encodeURIComponent(userId)}/profile?at=${options.at}`);
    if (response.status === 404) return 'missing';
    if (response.status !== 200)
      throw new RemoteCheckError(`${response.endpoint} answered ${response.status}: ${response.text.slice(0, 200)}`);
    return profileOf(parseJson(response), response.endpoint);
  };
  const readAll = (ids: readonly string[], label: string) =>
    readConcurrently(ids, readOne, { concurrency, label, unit: 'profiles', progressStream: options.progressStream });
  const matches = (id: string, read: Read | undefined) =>
    read !== undefined && read !== 'missing' && same(read, options.expected.get(id)!, options.monetaryTolerance);

  const ids = [...options.expected.keys()];
  let current = await readAll(ids, 'check profiles');
  const firstRoundSeconds = (performance.now() - started) / 1000;
  let rounds = 1;
  let wrong = ids.filter((id) => !matches(id, current.get(id)));
  for (let unchanged = 0; wrong.length > 0 && unchanged < stableReads && performance.now() + pollMs < deadline; ) {
    await sleep(pollMs);
    rounds += 1;
    const again = await readAll(wrong, `engine still applying? re-read ${formatCount(wrong.length)} mismatching`);
    unchanged = wrong.some((id) => JSON.stringify(again.get(id)) !== JSON.stringify(current.get(id))) ? 0 : unchanged + 1;
    current = new Map([...current, ...again]);
    wrong = wrong.filter((id) => !matches(id, current.get(id)));
  }

  const expectedSizes = sizesOf(options.expected.values());
  const differs = (sizes: Record<string, number>) =>
    Object.keys({ ...sizes, ...expectedSizes }).some((segment) => (sizes[segment] ?? 0) !== (expectedSizes[segment] ?? 0));
  // The index is written just after each user state: read again while it may still be catching up.
  let sizes = await segmentSizes(reader, options.at);
  for (let again = 0; differs(sizes) && again < stableReads && performance.now() + pollMs < deadline; again++) {
    await sleep(pollMs);
    sizes = await segmentSizes(reader, options.at);
  }
  const segmentSizesBoth: Record<string, [number, number]> = {};
  for (const segment of new Set([...Object.keys(expectedSizes), ...Object.keys(sizes)]))
    segmentSizesBoth[segment] = [sizes[segment] ?? 0, expectedSizes[segment] ?? 0];
  return {
    customers: ids.length,
    mismatches: wrong.length,
    missing: wrong.filter((id) => current.get(id) === 'missing').length,
    examples: wrong
      .slice(0, 10)
      .map((id) => `${id}: pulse ${JSON.stringify(current.get(id))} expected ${JSON.stringify(options.expected.get(id))}`),
    segmentSizes: segmentSizesBoth,
    segmentMismatches: Object.entries(segmentSizesBoth)
      .filter(([, [pulse, want]]) => pulse !== want)
      .map(([segment]) => segment),
    reads: reader.reads,
    firstRoundSeconds,
    rounds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The report as printed. */
export function formatProfilesReport(report: RemoteProfilesReport, url: string): string[] {
  const sizes = Object.entries(report.segmentSizes)
    .map(([segment, [pulse, want]]) =>
      pulse === want ? `${segment} ${formatCount(pulse)}` : `${segment} ${formatCount(pulse)} (expected ${formatCount(want)})`,
    )
    .join(', ');
  return [
    `  read ${formatCount(report.customers)} profiles from ${url} in ${formatElapsed(report.firstRoundSeconds)} (${formatRate(report.customers / report.firstRoundSeconds, 'profiles')}); ${report.rounds} round(s), ${formatCount(report.reads)} reads, ${formatElapsed(report.seconds)} in all`,
    `  mismatches: ${report.mismatches}${report.missing > 0 ? ` (${report.missing} unknown to the server)` : ''}`,
    ...report.examples.map((line) => `  ${line}`),
    `  segment sizes (/v1/analytics/segments): ${sizes || 'none'}`,
    `  segment size mismatches: ${report.segmentMismatches.length}${report.segmentMismatches.length > 0 ? ` (${report.segmentMismatches.join(', ')})` : ''}`,
  ];
}

function same(read: Expected, want: Expected, tolerance: number): boolean {
  return (
    read.recencyDays === want.recencyDays &&
    read.frequency === want.frequency &&
    Math.abs(read.monetary - want.monetary) <= tolerance &&
    read.scores.recency === want.scores.recency &&
    read.scores.frequency === want.scores.frequency &&
    read.scores.monetary === want.scores.monetary &&
    [...read.segments].sort().join() === [...want.segments].sort().join()
  );
}

function sizesOf(expected: Iterable<Expected>): Record<string, number> {
  const sizes: Record<string, number> = { new: 0, active: 0, lapsing: 0, big_spender: 0 };
  for (const { segments } of expected) for (const segment of segments) sizes[segment] = (sizes[segment] ?? 0) + 1;
  return sizes;
}

async function segmentSizes(reader: ReturnType<typeof remoteReader>, at: number): Promise<Record<string, number>> {
  const response = await reader.get(`/v1/analytics/segments?at=${at}&limit=1000`);
  if (response.status !== 200)
    throw new RemoteCheckError(`${response.endpoint} answered ${response.status}: ${response.text.slice(0, 200)}`);
  const { segments } = (parseJson(response) ?? {}) as { segments?: Array<{ segment?: unknown; size?: unknown }> };
  if (!Array.isArray(segments))
    throw new RemoteCheckError(`${response.endpoint} answered 200 without segments: ${response.text.slice(0, 200)}`);
  return Object.fromEntries(segments.map(({ segment, size }) => [String(segment), Number(size)]));
}

function profileOf(body: unknown, endpoint: string): Expected {
  const { rfm, segments } = (body ?? {}) as { rfm?: Partial<Expected> & { scores?: Expected['scores'] }; segments?: unknown };
  if (!rfm || typeof rfm.frequency !== 'number' || typeof rfm.monetary !== 'number' || !rfm.scores || !Array.isArray(segments)) {
    throw new RemoteCheckError(`${endpoint} answered 200 without rfm and segments: ${JSON.stringify(body).slice(0, 200)}`);
  }
  const { recency, frequency, monetary } = rfm.scores;
  return {
    recencyDays: rfm.recencyDays ?? null,
    frequency: rfm.frequency,
    monetary: rfm.monetary,
    scores: { recency, frequency, monetary },
    segments: segments.map(String),
  };
}
