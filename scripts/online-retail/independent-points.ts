/**
 * Every Online Retail customer's points, lifetime points and tier straight from the CSV, for
 * `npm run check:points`. Independent of the engine and of the converter on purpose: its own row
 * filter and aggregation, its own matching of cancellations to orders, the points rules written
 * out again (shares by largest remainder, returns in whole numbers with BigInt), nothing imported
 * from engine/logic or online-retail/orders.ts. What it takes from elsewhere: the catalog (which
 * StockCodes are products: the converter decides that) and the rates and thresholds.
 *
 * The rules, as the README ("Importing data", "Members and points") states them:
 * - A row counts when it has a customer, a catalog StockCode, a price > 0, a whole quantity of the
 *   invoice's sign (negative on a cancellation, `C…`) of at most 1,000,000 units, a readable date.
 *   An invoice belongs to the customer of its first counted row; its time is its earliest row's.
 * - An invoice is a paid order: per product, quantity summed, unit price = the quantity-weighted
 *   price rounded to 4 decimals; lines by product code; split in parts of 500 lines.
 * - A part earns round-half-away-from-zero(Σ quantity × price × rate of the tier held), shared out
 *   over its lines in proportion to quantity × price by largest remainder (ties: the earlier line).
 * - A cancellation takes back, per product, units of the customer's earlier parts holding it,
 *   newest first, each at most what it still holds; one return per part. A return that would name
 *   exactly the same products and quantities as an earlier return of that part skips that part and
 *   is matched again among the others. Units nowhere to match are left out.
 * - A return reverses, per line, round-half-up(earned × units returned so far / units bought)
 *   minus what was reversed before.
 * - Spendable points stop at 0, lifetime points too, and the tier (by lifetime points) only rises.
 */
import type { Tier } from '../../engine/contracts/schemas.js';
import { isCsvRecordComplete, parseCsvRecord } from '../lib/csv.js';
import { openLines } from '../lib/jsonl.js';
import { columnsOf, parseInvoiceDate } from './converter.js';
import { takeReturn } from './return-matching.js';

export interface Rules {
  rates: Record<Tier, number>;
  vip: number;
  enterprise: number;
}

export interface ExpectedBalance {
  points: number;
  lifetimePoints: number;
  tier: Tier;
  /** Order statuses applied to the member: paid parts and returns (one ledger entry each). */
  orders: number;
}

const PART_LINES = 500;
const MAX_UNITS = 1_000_000;

interface Invoice {
  key: string;
  userId: string;
  ts: number;
  cancelled: boolean;
  /** StockCode -> units and Σ units × price, in the order first seen. */
  products: Map<string, { units: number; amount: number }>;
}

interface BoughtLine {
  units: number;
  earned: number;
  returned: number;
  reversed: number;
}

interface Part {
  lines: Map<string, BoughtLine>;
  /** Returns this part had, as sorted `code*units` lists. */
  returns: Set<string>;
}

/** Reads and aggregates the CSV's counted rows into invoices (see the file comment). */
async function readInvoices(input: string, catalogIds: ReadonlySet<string>): Promise<Invoice[]> {
  const invoices = new Map<string, Invoice>();
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
      const code = fields[c.stockCode]!.trim().toUpperCase();
      const customer = fields[c.customer]!.trim().replace(/\.0+$/, '');
      const quantityText = fields[c.quantity]!.trim();
      const units = Number(quantityText);
      const price = Number(fields[c.price]!.trim());
      const cancelled = invoiceNo.startsWith('C');
      const ts = parseInvoiceDate(fields[c.date]!);
      if (customer === '' || !catalogIds.has(code)) continue;
      if (!/^-?\d+$/.test(quantityText) || Math.abs(units) > MAX_UNITS || !(price > 0) || ts === undefined) continue;
      if (cancelled ? units >= 0 : units <= 0) continue;
      const userId = `c${customer}`;
      let invoice = invoices.get(invoiceNo);
      if (!invoice) {
        invoice = { key: `${cancelled ? 'can' : 'inv'}-${invoiceNo}`, userId, ts, cancelled, products: new Map() };
        invoices.set(invoiceNo, invoice);
      }
      if (invoice.userId !== userId) continue;
      invoice.ts = Math.min(invoice.ts, ts);
      const product = invoice.products.get(code) ?? { units: 0, amount: 0 };
      product.units += units;
      product.amount += units * price;
      invoice.products.set(code, product);
    }
  } finally {
    source.close();
  }
  return [...invoices.values()];
}

/** Half away from zero, after dropping float noise below 1e-6. */
function roundAway(value: number): number {
  const cleaned = Math.round(value * 1e6) / 1e6;
  const whole = Math.round(Math.abs(cleaned));
  return cleaned < 0 ? -whole : whole;
}

/** `points` shared over lines in proportion to their amounts, by largest remainder (ties: the earlier line). */
function shares(points: number, lines: ReadonlyArray<{ units: number; price: number }>): number[] {
  let total = 0;
  for (const line of lines) total += line.units * line.price;
  if (points <= 0 || total <= 0) return lines.map(() => 0);
  const exact = lines.map((line) => (points * line.units * line.price) / total);
  const out = exact.map((x) => Math.floor(x));
  const order = exact.map((x, i) => ({ i, rest: x - out[i]! })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  let left = points - out.reduce((a, b) => a + b, 0);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]! += 1;
  // Float shares a hair over: take back from the smallest fractions first.
  for (let k = order.length - 1; left < 0; k = (k - 1 + order.length) % order.length) {
    const i = order[k]!.i;
    if (out[i]! > 0) {
      out[i]! -= 1;
      left += 1;
    }
  }
  return out;
}

/** round-half-up(earned × returned / units), exact in BigInt. */
function reversal(earned: number, units: number, returned: number): number {
  if (returned >= units) return earned;
  return Number((2n * BigInt(earned) * BigInt(returned) + BigInt(units)) / (2n * BigInt(units)));
}

/** Per customer, from the CSV alone: the expected balance (see the file comment). */
export async function independentPoints(
  input: string,
  catalogIds: ReadonlySet<string>,
  rules: Rules,
): Promise<Map<string, ExpectedBalance>> {
  const invoices = (await readInvoices(input, catalogIds)).sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const balances = new Map<string, ExpectedBalance>();
  const partsOf = new Map<string, Part[]>();
  const rank: Record<Tier, number> = { regular: 0, vip: 1, enterprise: 2 };
  const move = (balance: ExpectedBalance, delta: number) => {
    balance.points = Math.max(0, balance.points + delta);
    balance.lifetimePoints = Math.max(0, balance.lifetimePoints + delta);
    const earned: Tier =
      balance.lifetimePoints >= rules.enterprise ? 'enterprise' : balance.lifetimePoints >= rules.vip ? 'vip' : 'regular';
    if (rank[earned] > rank[balance.tier]) balance.tier = earned;
    balance.orders += 1;
  };
  for (const invoice of invoices) {
    const balance = balances.get(invoice.userId) ?? { points: 0, lifetimePoints: 0, tier: 'regular' as Tier, orders: 0 };
    balances.set(invoice.userId, balance);
    const parts = partsOf.get(invoice.userId) ?? [];
    partsOf.set(invoice.userId, parts);
    const products = [...invoice.products]
      .filter(([, p]) => p.units !== 0 && Math.abs(p.units) <= MAX_UNITS)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (!invoice.cancelled) {
      for (let from = 0; from < products.length; from += PART_LINES) {
        const lines = products
          .slice(from, from + PART_LINES)
          .map(([code, p]) => ({ code, units: p.units, price: Math.round((p.amount / p.units) * 1e4) / 1e4 }));
        let total = 0;
        for (const line of lines) total += line.units * line.price;
        const points = roundAway(total * rules.rates[balance.tier]);
        const split = shares(points, lines);
        parts.push({
          lines: new Map(lines.map((line, i) => [line.code, { units: line.units, earned: split[i]!, returned: 0, reversed: 0 }])),
          returns: new Set(),
        });
        move(balance, points);
      }
      continue;
    }
    const wanted = products.map(([code, p]) => [code, -p.units] as [string, number]);
    for (const [part, taken] of takeReturn(wanted, parts)) {
      let delta = 0;
      for (const [code, units] of taken) {
        const line = part.lines.get(code)!;
        line.returned += units;
        const reversed = reversal(line.earned, line.units, line.returned);
        delta -= reversed - line.reversed;
        line.reversed = reversed;
      }
      move(balance, delta);
    }
  }
  return balances;
}
