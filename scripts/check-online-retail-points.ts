/**
 * `npm run check:points -- [--input FILE.csv(.gz)] [--url URL [--token T] [--concurrency 16] [--wait 120]]`
 *
 * Issue 4, must-show 1: compares each online-retail customer's points, lifetime points and tier
 * with an independent computation straight from the CSV, and prints the number of mismatches
 * (must be 0). Rates and thresholds are the engine configuration's, read from this process's
 * environment (`POINTS_PER_CURRENCY_*`, `TIER_*_POINTS`): give it the engine's values.
 *
 * - Without `--url`: replays every invoice and cancellation of every customer through the
 *   engine's own path (EventProcessor + MemoryMemberStore, members created from the customers,
 *   regular at first), compares, then replays everything a second time and checks nothing
 *   changed. Exit code 0 only when both hold.
 * - With `--url`: the balances are the ones a running Pulse reports (`GET /v1/members/:id` as
 *   admin: `--token`, else one minted from AUTH_SECRET) after `npm run import` of the converter's
 *   members.jsonl and events.jsonl; see scripts/lib/remote-points.ts (it waits up to `--wait`
 *   seconds for the engine to drain a backlog). Exit code 0 only with 0 mismatches.
 *
 * The independent side shares nothing with the engine's points code: it reads the CSV rows
 * itself, keeps a row when its StockCode is a catalog item (the converter's catalog decides which
 * products exist) and it is a valid line (customer, price > 0, integer quantity of the invoice's
 * sign, a date), sums quantity × price per invoice exactly as written, and walks each customer's
 * invoices in time order (then by id, `can-` before `inv-` as the converter's ids sort) applying
 * the rules of logic/points.ts written out again: points = round-half-away-from-zero(total ×
 * rate of the tier held), spendable points clamp at 0, the tier only rises.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { MemoryInteractionStats } from '../engine/adapters/memory/memory-interaction-stats.js';
import { MemoryMemberStore } from '../engine/adapters/memory/memory-member-store.js';
import { MemoryUserStateStore } from '../engine/adapters/memory/memory-user-state-store.js';
import type { LoggedEvent, Tier } from '../engine/contracts/schemas.js';
import { loadEngineConfig } from '../engine/config.js';
import { EngineMetrics } from '../engine/metrics.js';
import { EventProcessor } from '../engine/services/event-processor.js';
import { resolveToken } from './import.js';
import { intOption, isMain, parseCommandLine, runMain, UsageError } from './lib/args.js';
import { isCsvRecordComplete, parseCsvRecord } from './lib/csv.js';
import { openLines } from './lib/jsonl.js';
import { checkRemotePoints, formatRemoteReport, type RemotePointsOptions, type RemotePointsReport } from './lib/remote-points.js';
import { columnsOf, convertCsvLines, parseInvoiceDate, timeOrderedEvents, type ConversionResult } from './online-retail/converter.js';

export interface Rules {
  rates: Record<Tier, number>;
  vip: number;
  enterprise: number;
}

interface Expected {
  points: number;
  lifetimePoints: number;
  tier: Tier;
}

/** Per customer, from the CSV alone: the expected balance (see the file comment). */
export async function independentPoints(input: string, catalogIds: ReadonlySet<string>, rules: Rules): Promise<Map<string, Expected>> {
  const invoices = new Map<string, { id: string; userId: string; ts: number; total: number }>();
  const source = await openLines(input);
  let columns: ReturnType<typeof columnsOf> | undefined;
  let pending = '';
  try {
    for await (const physical of source.lines) {
      pending = pending === '' ? physical : `${pending}\n${physical}`;
      if (!isCsvRecordComplete(pending)) continue;
      const record = pending;
      pending = '';
      if (record.trim() === '') continue;
      let fields: string[];
      try {
        fields = parseCsvRecord(record);
      } catch {
        continue;
      }
      if (!columns) {
        columns = columnsOf(fields);
        continue;
      }
      const c = columns;
      if (fields.length <= Math.max(...Object.values(c))) continue;
      const invoiceNo = fields[c.invoice]!.trim().toUpperCase();
      const customer = fields[c.customer]!.trim().replace(/\.0+$/, '');
      const quantityText = fields[c.quantity]!.trim();
      const quantity = Number(quantityText);
      const price = Number(fields[c.price]!.trim());
      const cancelled = invoiceNo.startsWith('C');
      const ts = parseInvoiceDate(fields[c.date]!);
      if (customer === '' || !catalogIds.has(fields[c.stockCode]!.trim().toUpperCase())) continue;
      if (!/^-?\d+$/.test(quantityText) || !(price > 0) || ts === undefined) continue;
      if (cancelled ? quantity >= 0 : quantity <= 0) continue;
      const userId = `c${customer}`;
      const invoice = invoices.get(invoiceNo) ?? { id: `${cancelled ? 'can' : 'inv'}-${invoiceNo}`, userId, ts, total: 0 };
      if (invoice.userId !== userId) continue;
      invoice.ts = Math.min(invoice.ts, ts);
      invoice.total += quantity * price;
      invoices.set(invoiceNo, invoice);
    }
  } finally {
    source.close();
  }
  const ordered = [...invoices.values()].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const balances = new Map<string, Expected>();
  const rank: Record<Tier, number> = { regular: 0, vip: 1, enterprise: 2 };
  for (const invoice of ordered) {
    const balance = balances.get(invoice.userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular' };
    const raw = Math.round(invoice.total * rules.rates[balance.tier] * 1e6) / 1e6;
    const delta = raw < 0 ? -Math.round(-raw) : Math.round(raw);
    balance.points = Math.max(0, balance.points + delta);
    balance.lifetimePoints = Math.max(0, balance.lifetimePoints + delta);
    const earned: Tier = balance.lifetimePoints >= rules.enterprise ? 'enterprise' : balance.lifetimePoints >= rules.vip ? 'vip' : 'regular';
    if (rank[earned] > rank[balance.tier]) balance.tier = earned;
    balances.set(invoice.userId, balance);
  }
  return balances;
}

/** Replays the converted events through EventProcessor into a MemoryMemberStore; returns the store and a replay function. */
export async function engineReplay(events: LoggedEvent[], rules: Rules) {
  const members = new MemoryMemberStore();
  for (const userId of new Set(events.map((e) => e.userId))) {
    await members.create({ memberId: userId, email: `${userId}@online-retail.invalid`, name: userId, tier: 'regular', points: 0, lifetimePoints: 0, createdAt: 0, passwordHash: '!' });
  }
  const unit = new Float32Array(8).fill(1 / Math.sqrt(8));
  const processor = new EventProcessor({
    users: new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 7 * 24 * 3600 }),
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 24 * 3600 }),
    vectors: { item: () => unit, text: () => unit },
    notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    members: { store: members, thresholds: { vip: rules.vip, enterprise: rules.enterprise }, rates: rules.rates },
    options: { defaultK: 10, tasteHalfLifeSeconds: 6 * 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 20, pushMaxAgeMs: -1, retryDelayMs: 1000 },
  });
  const replay = async (): Promise<number> => {
    let applied = 0;
    for (const event of events) if ((await processor.process(event)) === 'applied') applied++;
    return applied;
  };
  return { members, replay };
}

export interface PointsCheckReport {
  customers: number;
  mismatches: number;
  appliedBySecondReplay: number;
  changedBySecondReplay: number;
  /** The printed report. */
  lines: string[];
}

async function convert(input: string): Promise<ConversionResult> {
  const source = await openLines(input).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new UsageError(`no such file: ${input}`) : err;
  });
  return convertCsvLines(source.lines, (message) => new UsageError(`${input}: ${message}`)).finally(() => source.close());
}

/** Converts `input`, replays it through the engine, computes the CSV's answer, compares; replays again. */
export async function checkOnlineRetailPoints(input: string, rules: Rules): Promise<PointsCheckReport> {
  const converted = await convert(input);
  // The order of events.jsonl: by time, then id.
  const events: LoggedEvent[] = timeOrderedEvents(converted).map((e) => ({ ...e, receivedAt: e.ts }));

  const expected = await independentPoints(input, new Set(converted.items.map((i) => i.itemId)), rules);
  const { members, replay } = await engineReplay(events, rules);
  const applied = await replay();
  const snapshot = async () => {
    const out = new Map<string, string>();
    for (const userId of expected.keys()) {
      const m = await members.get(userId);
      out.set(userId, JSON.stringify([m?.points, m?.lifetimePoints, m?.tier, (await members.ledger(userId, { limit: 1 }))[0]?.entryId ?? 0]));
    }
    return out;
  };
  let mismatches = 0;
  const examples: string[] = [];
  const engineUsers = new Set(events.map((e) => e.userId));
  for (const userId of new Set([...expected.keys(), ...engineUsers])) {
    const want = expected.get(userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular' };
    const got = await members.get(userId);
    if (!got || got.points !== want.points || got.lifetimePoints !== want.lifetimePoints || got.tier !== want.tier) {
      mismatches++;
      if (examples.length < 10) examples.push(`  ${userId}: engine ${JSON.stringify(got && { points: got.points, lifetimePoints: got.lifetimePoints, tier: got.tier })} csv ${JSON.stringify(want)}`);
    }
  }
  const first = await snapshot();
  const appliedAgain = await replay();
  const second = await snapshot();
  const changed = [...first].filter(([userId, value]) => second.get(userId) !== value).length;
  const tiers = { regular: 0, vip: 0, enterprise: 0 };
  for (const want of expected.values()) tiers[want.tier]++;
  const lines = [
    `online-retail points: ${expected.size} customers, ${events.length} events (${converted.cancellations.length} cancellations), ${applied} applied`,
    `  tiers (csv): regular ${tiers.regular}, vip ${tiers.vip}, enterprise ${tiers.enterprise}`,
    `  mismatches: ${mismatches}`,
    ...examples,
    `  second replay: ${appliedAgain} applied, ${changed} members changed`,
  ];
  return { customers: expected.size, mismatches, appliedBySecondReplay: appliedAgain, changedBySecondReplay: changed, lines };
}

export interface RemoteCheckReport extends RemotePointsReport {
  lines: string[];
}

/**
 * Converts `input`, computes the CSV's answer and compares it with what the Pulse at `remote.url`
 * reports for every member of the conversion (members.jsonl: customers with a purchase or a cancellation).
 */
export async function checkOnlineRetailPointsRemote(input: string, rules: Rules, remote: Omit<RemotePointsOptions, 'expected'>): Promise<RemoteCheckReport> {
  const converted = await convert(input);
  const computed = await independentPoints(input, new Set(converted.items.map((i) => i.itemId)), rules);
  const expected = new Map<string, Expected>();
  for (const userId of new Set([...converted.members.map((m) => m.memberId), ...computed.keys()])) {
    expected.set(userId, computed.get(userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular' });
  }
  const report = await checkRemotePoints({ ...remote, expected });
  const tiers = { regular: 0, vip: 0, enterprise: 0 };
  for (const want of expected.values()) tiers[want.tier]++;
  const lines = [
    `online-retail points at ${remote.url}: ${expected.size} customers, ${converted.events.length + converted.cancellations.length} events (${converted.cancellations.length} cancellations)`,
    `  tiers (csv): regular ${tiers.regular}, vip ${tiers.vip}, enterprise ${tiers.enterprise}`,
    ...formatRemoteReport(report, remote.url),
  ];
  return { ...report, lines };
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const USAGE = `usage: npm run check:points -- [--input FILE.csv.gz] [--url URL [--token T] [--concurrency N] [--wait S]]
  --input FILE     the UCI Online Retail CSV, plain or .gz (default ../shared/datasets/online-retail/online_retail.csv.gz)
  --url URL        compare with a running Pulse (after importing members.jsonl and events.jsonl) instead of an in-process replay
  --token TOKEN    admin bearer token for --url (default: minted from AUTH_SECRET)
  --concurrency N  profile reads in flight, 1-256 (default 16)
  --wait S         longest wait for the engine to apply a backlog, 0-3600 s (default 120)
The rates and tier thresholds come from POINTS_PER_CURRENCY_* and TIER_*_POINTS, as for the engine.`;

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), {
    input: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    concurrency: { type: 'string' },
    wait: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const input = args.input !== undefined ? resolve(args.input) : resolve(REPO_ROOT, '../shared/datasets/online-retail/online_retail.csv.gz');
  const config = loadEngineConfig();
  const rules: Rules = {
    rates: { regular: config.pointsPerCurrencyRegular, vip: config.pointsPerCurrencyVip, enterprise: config.pointsPerCurrencyEnterprise },
    vip: config.tierVipPoints,
    enterprise: config.tierEnterprisePoints,
  };
  if (args.url !== undefined) {
    if (!/^https?:\/\//.test(args.url) || !URL.canParse(args.url)) throw new UsageError(`--url must be an http(s) URL, got "${args.url}"`);
    const concurrency = intOption('concurrency', args.concurrency, 16, 1, 256);
    const waitMs = intOption('wait', args.wait, 120, 0, 3600) * 1000;
    const token = await resolveToken(args.token, process.env);
    const report = await checkOnlineRetailPointsRemote(input, rules, { url: args.url, token, concurrency, waitMs });
    process.stdout.write(`${report.lines.join('\n')}\n`);
    return report.mismatches === 0 ? 0 : 1;
  }
  if (args.token !== undefined || args.concurrency !== undefined || args.wait !== undefined) throw new UsageError('--token, --concurrency and --wait go with --url');
  const report = await checkOnlineRetailPoints(input, rules);
  process.stdout.write(`${report.lines.join('\n')}\n`);
  return report.mismatches === 0 && report.changedBySecondReplay === 0 && report.appliedBySecondReplay === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
