/**
 * `npm run check:profiles -- --url URL [--at MS] [--input FILE.csv(.gz)] [--token T] [--concurrency 16] [--wait 120]`
 *
 * Issue 6, must-show 3: every Online Retail customer's profile in a running Pulse (imported with
 * the README's commands: convert, items, members, orders, events) against an independent RFM
 * computation from the CSV (scripts/online-retail/independent-rfm.ts: its own parsing and rules,
 * its own matching of cancellations to orders, nothing of the engine's RFM, segment or order code),
 * at a reference time `--at` (default: 00:00 UTC of the day after the last invoice). Lifetime value
 * comes from the shop's orders only: without `--orders orders.jsonl` imported, frequency, recency
 * and monetary value are empty and the check reports every buyer. Compares each profile's recency
 * (days), frequency, monetary value (within MONETARY_TOLERANCE), their scores and its segments,
 * then the shop's segment sizes (`/v1/analytics/segments`) with the counts over the customers.
 * Prints the mismatches; exit code 0 only when there are none. Segment thresholds come from
 * SEGMENT_*, as for the engine. There is no mode without `--url`: profiles are the running
 * product's (check:points replays the orders in process).
 */
import { resolve } from 'node:path';
import { loadEngineConfig } from '../engine/config.js';
import { resolveToken } from './import.js';
import { intOption, isMain, parseCommandLine, runMain, UsageError } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import { missingDataset, onlineRetailCsv } from './lib/datasets.js';
import { openLines } from './lib/jsonl.js';
import { checkRemoteProfiles, formatProfilesReport, type RemoteProfilesReport } from './lib/remote-profiles.js';
import { convertCsvLines } from './online-retail/converter.js';
import { customersFromCsv, dayAfterLastInvoice, expectedAt, type Expected, type Thresholds } from './online-retail/independent-rfm.js';

/**
 * Largest monetary difference that matches (currency units). Both sides price a line at its mean
 * unit price rounded to 4 decimals (the orders' price) and take returns back at the matched
 * order's price, so what is left is floating-point summation order (far below a cent); the margin
 * stays well under any score band or segment threshold step.
 */
export const MONETARY_TOLERANCE = 0.05;

export interface ProfilesCheckOptions {
  input: string;
  url: string;
  token: string;
  thresholds: Thresholds;
  /** Reference time (epoch ms); default the day after the last invoice. */
  at?: number;
  concurrency?: number;
  waitMs?: number;
  pollMs?: number;
  progressStream?: NodeJS.WritableStream;
}

export interface ProfilesCheckResult extends RemoteProfilesReport {
  at: number;
  lines: string[];
}

/** The catalog's item ids, as the converter makes them from the CSV. */
async function catalogIds(input: string): Promise<Set<string>> {
  const source = await openLines(input).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? missingDataset(input, '--input FILE') : err;
  });
  const converted = await convertCsvLines(source.lines, (message) => new UsageError(`${input}: ${message}`)).finally(() => source.close());
  return new Set(converted.items.map((item) => item.itemId));
}

export async function checkOnlineRetailProfiles(options: ProfilesCheckOptions): Promise<ProfilesCheckResult> {
  const customers = await customersFromCsv(options.input, await catalogIds(options.input));
  const at = options.at ?? dayAfterLastInvoice(customers.values());
  const expected = new Map<string, Expected>([...customers].map(([userId, c]) => [userId, expectedAt(c, at, options.thresholds)]));
  const report = await checkRemoteProfiles({
    url: options.url,
    token: options.token,
    expected,
    at,
    monetaryTolerance: MONETARY_TOLERANCE,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
  });
  const lines = [
    `online-retail profiles at ${options.url}: ${customers.size} customers, at ${new Date(at).toISOString()} (${at})`,
    ...formatProfilesReport(report, options.url),
  ];
  return { ...report, at, lines };
}

export const USAGE = `usage: npm run check:profiles -- --url URL [--at MS] [--input FILE.csv.gz] [--token T] [--concurrency N] [--wait S]
  --url URL        the running Pulse (after importing items.jsonl, members.jsonl, orders.jsonl and events.jsonl)
  --at MS          reference time, epoch ms (default: 00:00 UTC of the day after the last invoice)
  --input FILE     the UCI Online Retail CSV, plain or .gz (default DATA_DIR/datasets/online-retail/online_retail.csv.gz)
  --token TOKEN    admin bearer token (default: minted from AUTH_SECRET)
  --concurrency N  profile reads in flight, 1-256 (default 16)
  --wait S         longest wait for the engine to apply a backlog, 0-3600 s (default 120)
The segment thresholds come from SEGMENT_*, as for the engine.`;

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), {
    input: { type: 'string' },
    url: { type: 'string' },
    at: { type: 'string' },
    token: { type: 'string' },
    concurrency: { type: 'string' },
    wait: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.url === undefined || !/^https?:\/\//.test(args.url) || !URL.canParse(args.url))
    throw new UsageError(`--url must be an http(s) URL, got "${args.url ?? ''}"`);
  if (args.at !== undefined && !/^\d{1,15}$/.test(args.at)) throw new UsageError(`--at must be epoch milliseconds, got "${args.at}"`);
  const config = loadConfigOrExit('check:profiles', () => loadEngineConfig());
  const result = await checkOnlineRetailProfiles({
    input: args.input !== undefined ? resolve(args.input) : onlineRetailCsv(),
    url: args.url,
    token: await resolveToken(args.token, process.env),
    thresholds: {
      newDays: config.segmentNewDays,
      activeDays: config.segmentActiveDays,
      lapsingMinDays: config.segmentLapsingMinDays,
      lapsingMaxDays: config.segmentLapsingMaxDays,
      bigSpender: config.segmentBigSpender,
    },
    ...(args.at !== undefined ? { at: Number(args.at) } : {}),
    concurrency: intOption('concurrency', args.concurrency, 16, 1, 256),
    waitMs: intOption('wait', args.wait, 120, 0, 3600) * 1000,
  });
  process.stdout.write(`${result.lines.join('\n')}\n`);
  return result.mismatches === 0 && result.segmentMismatches.length === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
