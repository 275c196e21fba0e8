/**
 * `npm run convert:online-retail -- [--input FILE.csv(.gz)] [--out DIR]`
 *
 * Turns the UCI "Online Retail" dataset (a UK gift shop, Dec 2010 - Dec 2011; columns InvoiceNo,
 * StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country) into files
 * `npm run import` loads:
 *
 * - `items.jsonl`: one Item per product StockCode with a usable description. `title` is the most
 *   frequent description in sentence case, `price` the median positive UnitPrice of its sales
 *   lines (every customer, registered or not; raised to 1/11 of the item's dearest invoice line
 *   where it is lower, so every order passes ORDER_PRICE_TOLERANCE=10), `category` from CATEGORY_RULES
 *   (online-retail/catalog-rules.ts), `tags` the salient words of the title, no brand.
 * - `members.jsonl`: one member per customer with a purchase or a cancellation:
 *   `{memberId: 'c<CustomerID>', email: 'c<CustomerID>@online-retail.invalid', name: 'Customer <CustomerID>',
 *   createdAt: first invoice}` (for `npm run import -- --members`; imported members have no password).
 * - `events.jsonl`: purchases and cancellations in one file, sorted by time (then id), because a
 *   customer's points depend on the tier held when each one happens:
 *   - one `purchase` per non-cancelled invoice with a CustomerID,
 *     `{id: 'inv-<InvoiceNo>', type: 'purchase', userId: 'c<CustomerID>', orderId: InvoiceNo, ts, items}`,
 *     items aggregated per StockCode (quantity summed, price = the quantity-weighted unit price, so
 *     the order total is kept). An invoice of more than 1,000 products (the Event limit) is split
 *     into `inv-<no>`, `inv-<no>-2`, ... with the same orderId.
 *   - one `purchase` with negative quantities per cancelled invoice (InvoiceNo starting with `C`)
 *     with a CustomerID: `{id: 'can-<InvoiceNo>', type: 'purchase', userId, orderId: InvoiceNo, ts, items}`.
 *     Quantities stay negative as in the source, so sum(quantity * price) is the amount to reverse.
 *   These are behaviour signals (taste, bought together, analytics) and earn no points.
 * - `orders.jsonl`: what earns points: every invoice as a `paid` order (`POST /v1/orders`,
 *   orderId = InvoiceNo) and every cancellation as `returned` lines of the earlier orders of that
 *   customer holding those items, newest first (the data does not say which invoice a
 *   cancellation takes back); by time. The rules: online-retail/orders.ts.
 *
 * Rules (each skipped line is counted under the first reason that applies):
 * - Product codes: a StockCode is a product when it contains a digit and is not a known fee or
 *   adjustment code (C2 carriage, gift_* vouchers). That removes POST, DOT, M, D, S, B, CRUK,
 *   PADS, AMAZONFEE, BANK CHARGES and the like (`non_product_code`).
 * - A line needs UnitPrice > 0 (`non_positive_price`), an integer Quantity (`bad_quantity`) of at
 *   most 1,000,000 units either way (`quantity_out_of_range`), Quantity > 0 on a sale
 *   (`non_positive_quantity`) and < 0 on a cancellation (`non_negative_cancellation`), a
 *   readable InvoiceDate (`bad_date`) and a CustomerID (`no_customer`; such sales still count for
 *   item prices and titles).
 * - Times: InvoiceDate as `12/1/2010 8:26` (month first) or ISO `2010-12-01 08:26:00`, detected per
 *   value. The shop is in the UK and the data carries no zone: read as UTC (in winter that is UK
 *   time; in summer one hour off, irrelevant for recommendations).
 * - Sale lines of a product without a usable description (none with 3+ letters, or only
 *   stock-keeping notes like "damaged") are dropped (`no_item`): events name catalog items only.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, isMain, parseCommandLine, runMain } from './lib/args.js';
import { missingDataset, onlineRetailCsv } from './lib/datasets.js';
import { JsonlWriter, openLines } from './lib/jsonl.js';
import { Progress, formatCount, formatElapsed } from './lib/progress.js';
import { convertCsvLines, timeOrderedEvents, type ConversionStats } from './online-retail/converter.js';
import { ordersOf, type OrdersStats } from './online-retail/orders.js';

export interface ConvertOptions {
  input: string;
  outDir: string;
  /** Progress output; default stderr. */
  progressStream?: NodeJS.WritableStream;
}

/** The converter's counts and those of orders.jsonl. */
export type ConvertStats = ConversionStats & { orders: OrdersStats };

/** Reads the CSV, writes the four files atomically, returns the counts. */
export async function convertOnlineRetail(options: ConvertOptions): Promise<ConvertStats> {
  const source = await openLines(options.input);
  const progress = new Progress({
    label: 'convert online-retail',
    unit: 'lines',
    fraction: source.fraction,
    stream: options.progressStream,
  });
  let result;
  try {
    result = await convertCsvLines(
      source.lines,
      (message) => new UsageError(`${options.input}: ${message}`),
      () => progress.tick(),
    );
  } finally {
    source.close();
    progress.done();
  }
  const orders = ordersOf(result.events, result.cancellations);
  await mkdir(options.outDir, { recursive: true });
  const files: Array<[string, unknown[]]> = [
    ['items.jsonl', result.items],
    ['members.jsonl', result.members],
    ['events.jsonl', timeOrderedEvents(result)],
    ['orders.jsonl', orders.orders],
  ];
  const writers = files.map(([name]) => new JsonlWriter(resolve(options.outDir, name)));
  try {
    for (const [index, [, values]] of files.entries()) for (const value of values) await writers[index]!.write(value);
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  return { ...result.stats, orders: orders.stats };
}

/** The counts as a table. */
export function formatStats(stats: ConvertStats, outDir: string, seconds: number): string {
  const row = (label: string, value: number, note = ''): string =>
    `  ${label.padEnd(22)}${formatCount(value).padStart(10)}${note ? `  ${note}` : ''}`;
  const out = [
    `online retail -> ${outDir} in ${formatElapsed(seconds)}`,
    row('lines read', stats.lines),
    row('items', stats.items, `items.jsonl (${formatCount(stats.raisedPrices)} priced above their median: a line 11+ times it)`),
    row('members', stats.members, `members.jsonl (${formatCount(stats.customers)} with a purchase)`),
    row('invoices (purchases)', stats.invoices, 'events.jsonl'),
    row('line items', stats.lineItems),
    row('cancellations', stats.cancellations, 'events.jsonl'),
    row('paid orders', stats.orders.paid, 'orders.jsonl'),
    row('returns', stats.orders.returns, `orders.jsonl (${formatCount(stats.orders.returnedUnits)} units matched to earlier orders)`),
    row(
      'units not returned',
      stats.orders.unmatchedUnits,
      `no earlier order of the customer holds them (${formatCount(stats.orders.unmatchedCancellations)} cancellations wholly; ${formatCount(stats.orders.repeatedUnits)} units only a repeated return could take)`,
    ),
  ];
  const skipped = Object.entries(stats.skipped).sort((a, b) => b[1] - a[1]);
  const total = skipped.reduce((sum, [, n]) => sum + n, 0);
  out.push(row('lines skipped', total));
  for (const [reason, count] of skipped) out.push(`    ${reason.padEnd(28)}${formatCount(count).padStart(8)}`);
  return out.join('\n');
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const USAGE = `usage: npm run convert:online-retail -- [--input FILE.csv.gz] [--out DIR]
  --input FILE   the UCI Online Retail CSV, plain or .gz (default DATA_DIR/datasets/online-retail/online_retail.csv.gz)
  --out DIR      where items.jsonl, members.jsonl, events.jsonl and orders.jsonl go (default data/online-retail)`;

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), {
    input: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const input = args.input !== undefined ? resolve(args.input) : onlineRetailCsv();
  const outDir = args.out !== undefined ? resolve(args.out) : resolve(REPO_ROOT, 'data/online-retail');
  const started = performance.now();
  const stats = await convertOnlineRetail({ input, outDir }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === input)
      throw missingDataset(input, '--input FILE');
    throw err;
  });
  process.stdout.write(`${formatStats(stats, outDir, (performance.now() - started) / 1000)}\n`);
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
