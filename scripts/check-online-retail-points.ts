/**
 * `npm run check:points -- [--input FILE.csv(.gz)] [--url URL [--token T] [--concurrency 16] [--wait 120]]`
 *
 * Compares each online-retail customer's points, lifetime points and tier with an independent
 * computation straight from the CSV, and prints the number of mismatches (must be 0). Points come
 * only from orders the shop vouches for: the converter's orders.jsonl (every invoice a paid order,
 * every cancellation returned lines of earlier orders; online-retail/orders.ts). Rates, thresholds
 * and the price tolerance are the engine configuration's, read from this process's environment
 * (`POINTS_PER_CURRENCY_*`, `TIER_*_POINTS`, `ORDER_PRICE_TOLERANCE`): give it the engine's values.
 *
 * - Without `--url`: replays every order of every customer through the engine's own path (the
 *   `orders.accept` checks of order-handlers.ts, then EventProcessor with its PointsStage, on a
 *   MemoryMemberStore with the customers as regular members), compares, then replays everything
 *   a second time and checks nothing changed. Exit code 0 only when both hold.
 * - With `--url`: the balances are the ones a running Pulse reports (`GET /v1/members/:id` as
 *   admin: `--token`, else one minted from AUTH_SECRET) after `npm run import` of the converter's
 *   items.jsonl, members.jsonl and orders.jsonl; see scripts/lib/remote-points.ts (it waits up to
 *   `--wait` seconds for the engine to drain a backlog). Exit code 0 only with 0 mismatches.
 *
 * The independent side (online-retail/independent-points.ts) shares nothing with the engine's
 * points code nor with the converter's matching of cancellations: it reads the CSV rows itself and
 * applies the README's rules written out again.
 */
import { resolve } from 'node:path';
import pino from 'pino';
import { MemoryInteractionStats } from '../engine/recommend/mod.js';
import { MemoryMemberStore } from '../engine/members/mod.js';
import { MemoryUserStateStore } from '../engine/shoppers/mod.js';
import { PulseError } from '../engine/contracts/errors.js';
import { OrderSchema, type StoredOrderEvent } from '../engine/contracts/orders.js';
import type { Item } from '../engine/contracts/schemas.js';
import { loadEngineConfig } from '../engine/config.js';
import { EngineMetrics } from '../engine/metrics.js';
import { EventProcessor } from '../engine/stream/mod.js';
import { acceptOrder } from '../engine/members/mod.js';
import { resolveToken } from './import.js';
import { intOption, isMain, parseCommandLine, runMain, UsageError } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import { openLines } from './lib/jsonl.js';
import { missingDataset, onlineRetailCsv } from './lib/datasets.js';
import { checkRemotePoints, formatRemoteReport, type RemotePointsOptions, type RemotePointsReport } from './lib/remote-points.js';
import { convertCsvLines, type ConversionResult } from './online-retail/converter.js';
import { independentPoints, type ExpectedBalance, type Rules } from './online-retail/independent-points.js';
import { ordersOf, type OrderRecord } from './online-retail/orders.js';

export { independentPoints, type ExpectedBalance, type Rules };

/** The engine's checks and points path, in process (see the file comment); `memberIds` become regular members first. */
export async function engineReplay(
  orders: readonly OrderRecord[],
  items: readonly Item[],
  memberIds: Iterable<string>,
  rules: Rules,
  priceTolerance: number,
) {
  const members = new MemoryMemberStore();
  for (const userId of new Set([...memberIds, ...orders.map((o) => o.userId)])) {
    await members.create({
      memberId: userId,
      email: `${userId}@online-retail.invalid`,
      name: userId,
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: 0,
      passwordHash: '!',
    });
  }
  const catalog = new Map(items.map((item) => [item.itemId, item]));
  const unit = new Float32Array(8).fill(1 / Math.sqrt(8));
  const processor = new EventProcessor({
    users: new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 7 * 24 * 3600 }),
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 24 * 3600 }),
    vectors: { item: () => unit, text: () => unit },
    notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    members: { store: members, thresholds: { vip: rules.vip, enterprise: rules.enterprise }, rates: rules.rates },
    options: {
      defaultK: 10,
      tasteHalfLifeSeconds: 6 * 3600,
      sessionGapSeconds: 1800,
      coVisitWindow: 5,
      recentLimit: 20,
      pushMaxAgeMs: -1,
      retryDelayMs: 1000,
    },
  });
  /** Orders refused by the accept step, by code (a price off the catalog, ...). */
  const refused = new Map<string, number>();
  const replay = async (): Promise<number> => {
    let applied = 0;
    for (const order of orders) {
      let event: StoredOrderEvent;
      try {
        ({ event } = await acceptOrder(OrderSchema.parse(order), order.ts, { members, catalog, priceTolerance }));
      } catch (err) {
        if (!(err instanceof PulseError)) throw err;
        refused.set(err.code, (refused.get(err.code) ?? 0) + 1);
        continue;
      }
      if ((await processor.process(event)) === 'applied') applied++;
    }
    return applied;
  };
  return { members, replay, refused };
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
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? missingDataset(input, '--input FILE') : err;
  });
  return convertCsvLines(source.lines, (message) => new UsageError(`${input}: ${message}`)).finally(() => source.close());
}

/** Converts `input`, replays its orders through the engine, computes the CSV's answer, compares; replays again. */
export async function checkOnlineRetailPoints(input: string, rules: Rules, priceTolerance: number): Promise<PointsCheckReport> {
  const converted = await convert(input);
  // The order of orders.jsonl: by time, then key.
  const { orders } = ordersOf(converted.events, converted.cancellations);
  const expected = await independentPoints(input, new Set(converted.items.map((i) => i.itemId)), rules);
  const { members, replay, refused } = await engineReplay(
    orders,
    converted.items,
    converted.members.map((m) => m.memberId),
    rules,
    priceTolerance,
  );
  const applied = await replay();
  const refusedFirst = [...refused].map(([code, n]) => `${n} ${code}`);
  const snapshot = async () => {
    const out = new Map<string, string>();
    for (const userId of expected.keys()) {
      const m = await members.get(userId);
      out.set(
        userId,
        JSON.stringify([m?.points, m?.lifetimePoints, m?.tier, (await members.ledger(userId, { limit: 1 }))[0]?.entryId ?? 0]),
      );
    }
    return out;
  };
  let mismatches = 0;
  const examples: string[] = [];
  for (const userId of new Set([...expected.keys(), ...orders.map((o) => o.userId)])) {
    const want = expected.get(userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular', orders: 0 };
    const got = await members.get(userId);
    const ledger = (await members.ledger(userId, { limit: 1 }))[0]?.entryId ?? 0;
    if (
      !got ||
      got.points !== want.points ||
      got.lifetimePoints !== want.lifetimePoints ||
      got.tier !== want.tier ||
      ledger !== want.orders
    ) {
      mismatches++;
      const shown = got && { points: got.points, lifetimePoints: got.lifetimePoints, tier: got.tier, orders: ledger };
      if (examples.length < 10) examples.push(`  ${userId}: engine ${JSON.stringify(shown)} csv ${JSON.stringify(want)}`);
    }
  }
  const first = await snapshot();
  const appliedAgain = await replay();
  const second = await snapshot();
  const changed = [...first].filter(([userId, value]) => second.get(userId) !== value).length;
  const tiers = { regular: 0, vip: 0, enterprise: 0 };
  for (const want of expected.values()) tiers[want.tier]++;
  const returns = orders.filter((o) => o.status === 'returned').length;
  const lines = [
    `online-retail points: ${expected.size} customers, ${orders.length} orders (${orders.length - returns} paid, ${returns} returns), ${applied} applied`,
    `  tiers (csv): regular ${tiers.regular}, vip ${tiers.vip}, enterprise ${tiers.enterprise}`,
    ...(refusedFirst.length > 0
      ? [`  refused by the engine's order checks (ORDER_PRICE_TOLERANCE=${priceTolerance}): ${refusedFirst.join(', ')}`]
      : []),
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
 * reports for every member of the conversion (members.jsonl: customers with a purchase or a
 * cancellation), after `npm run import -- --orders` of its orders.jsonl.
 */
export async function checkOnlineRetailPointsRemote(
  input: string,
  rules: Rules,
  remote: Omit<RemotePointsOptions, 'expected'>,
): Promise<RemoteCheckReport> {
  const converted = await convert(input);
  const computed = await independentPoints(input, new Set(converted.items.map((i) => i.itemId)), rules);
  const expected = new Map<string, ExpectedBalance>();
  for (const userId of new Set([...converted.members.map((m) => m.memberId), ...computed.keys()])) {
    expected.set(userId, computed.get(userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular', orders: 0 });
  }
  const report = await checkRemotePoints({ ...remote, expected });
  const tiers = { regular: 0, vip: 0, enterprise: 0 };
  let orders = 0;
  for (const want of expected.values()) {
    tiers[want.tier]++;
    orders += want.orders;
  }
  const lines = [
    `online-retail points at ${remote.url}: ${expected.size} customers, ${orders} orders applied to members (paid parts and returns, by the CSV)`,
    `  tiers (csv): regular ${tiers.regular}, vip ${tiers.vip}, enterprise ${tiers.enterprise}`,
    ...formatRemoteReport(report, remote.url),
  ];
  return { ...report, lines };
}

export const USAGE = `usage: npm run check:points -- [--input FILE.csv.gz] [--url URL [--token T] [--concurrency N] [--wait S]]
  --input FILE     the UCI Online Retail CSV, plain or .gz (default DATA_DIR/datasets/online-retail/online_retail.csv.gz)
  --url URL        compare with a running Pulse (after importing items.jsonl, members.jsonl and orders.jsonl) instead of an in-process replay
  --token TOKEN    admin bearer token for --url (default: minted from AUTH_SECRET)
  --concurrency N  profile reads in flight, 1-256 (default 16)
  --wait S         longest wait for the engine to apply a backlog, 0-3600 s (default 120)
The rates, tier thresholds and price tolerance come from POINTS_PER_CURRENCY_*, TIER_*_POINTS and
ORDER_PRICE_TOLERANCE, as for the engine.`;

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
  const input = args.input !== undefined ? resolve(args.input) : onlineRetailCsv();
  const config = loadConfigOrExit('check:points', () => loadEngineConfig());
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
  if (args.token !== undefined || args.concurrency !== undefined || args.wait !== undefined)
    throw new UsageError('--token, --concurrency and --wait go with --url');
  const report = await checkOnlineRetailPoints(input, rules, config.orderPriceTolerance);
  process.stdout.write(`${report.lines.join('\n')}\n`);
  return report.mismatches === 0 && report.changedBySecondReplay === 0 && report.appliedBySecondReplay === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
