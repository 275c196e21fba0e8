/**
 * Recency, frequency, monetary value and segments of every Online Retail customer, straight from
 * the CSV, for `npm run check:profiles`. Independent of the engine on purpose: its own CSV and date
 * parsing, its own aggregation, its own matching of cancellations to orders, the RFM bands and
 * segment rules written out again from the README ("Shopper state", "Importing data"), nothing
 * imported from engine/logic, engine/services or online-retail/orders.ts. What it takes from
 * elsewhere is the catalog (which StockCodes are products in the shop: the converter decides that,
 * as for check:points) and the segment thresholds (SEGMENT_* configuration).
 *
 * Why from the CSV and not from orders.jsonl: the check's only input is the CSV (`--input`); the
 * converter's output is part of what it checks, so the orders' rules (split, prices, matching of
 * cancellations) are derived here again as the README documents them, not read from the file.
 *
 * Which rows count, as the converter documents them (README "Importing data"): a customer; a
 * StockCode that is a catalog item; a unit price > 0; an integer quantity, positive on an invoice,
 * negative on a cancellation (InvoiceNo `C…`), at most 1,000,000 in size; a readable date. An
 * invoice belongs to the customer of its first counted row; its time is its earliest row's.
 *
 * Lifetime value comes from the shop's orders only (a browser `purchase` event adds nothing):
 * - Every invoice is a paid order: per product, quantity summed, unit price = the quantity-weighted
 *   price rounded to 4 decimals; lines by product code, in parts of 500 lines, each part an order
 *   (frequency) whose total Σ quantity × price adds to spend; the last purchase is the latest invoice.
 * - A cancellation takes back, per product, units of the same customer's earlier parts holding it,
 *   newest first, each at most what it still holds (bought minus returned), at that part's price:
 *   spend goes down by that. One return per cancellation and part; a return naming exactly the
 *   products and quantities of an earlier return of that part would read as its retry, so that part
 *   is skipped and the cancellation matched again among the others. Units nowhere to match (bought
 *   before the data starts, or more than bought) subtract nothing. Invoices and cancellations are
 *   replayed by time, then key (`can-<CNo>` before `inv-<No>` at the same time).
 * - The first and last event (segments `new`, `active`) are the earliest and latest invoice or
 *   cancellation: the converter's events, which still carry both.
 */
import { openLines } from '../lib/jsonl.js';
import { takeReturn } from './return-matching.js';

export interface CustomerRfm {
  userId: string;
  /** Epoch ms of the earliest and latest invoice or cancellation. */
  firstAt: number;
  lastEventAt: number;
  /** Epoch ms of the latest invoice; 0 when none. */
  lastPurchaseAt: number;
  /** Paid orders (invoice parts of at most 500 lines) with a positive total. */
  orders: number;
  /** Net spend: paid totals minus the returns matched to them, at the paid prices. */
  spend: number;
}

export interface Thresholds {
  newDays: number;
  activeDays: number;
  lapsingMinDays: number;
  lapsingMaxDays: number;
  bigSpender: number;
}

export interface Expected {
  recencyDays: number | null;
  frequency: number;
  monetary: number;
  scores: { recency: number; frequency: number; monetary: number };
  segments: string[];
}

const DAY = 86_400_000;
/** Largest number of lines of one paid order: bigger invoices are split in parts. */
const LINES_PER_ORDER = 500;
const MAX_UNITS = 1_000_000;

/** Fields of one CSV record: commas, double-quoted fields with "" for a quote. */
export function splitRecord(record: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!;
    if (quoted) {
      if (c === '"' && record[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') fields.push(field), (field = '');
    else field += c;
  }
  fields.push(field);
  return fields;
}

/** `M/D/YYYY H:MM[:SS]` or `YYYY-MM-DD HH:MM[:SS]` as UTC epoch ms; undefined when it is no such date. */
export function readDate(text: string): number | undefined {
  const m =
    /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim()) ??
    /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const n = m.slice(1).map((v) => Number(v ?? 0));
  const [year, month, day] = m[0].includes('/') ? [n[2]!, n[0]!, n[1]!] : [n[0]!, n[1]!, n[2]!];
  const [hour, minute, second] = [n[3]!, n[4]!, n[5]!];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return date.getTime();
}

interface Invoice {
  /** `inv-<InvoiceNo>` or `can-<CNo>`: orders a replay at the same time. */
  key: string;
  userId: string;
  cancelled: boolean;
  ts: number;
  /** StockCode -> [quantity, amount]. */
  lines: Map<string, [number, number]>;
}

/** Every customer's RFM inputs from the CSV at `input` (plain or .gz), counting rows of `catalog` products. */
export async function customersFromCsv(input: string, catalog: ReadonlySet<string>): Promise<Map<string, CustomerRfm>> {
  const invoices = new Map<string, Invoice>();
  const source = await openLines(input);
  let header: string[] | undefined;
  let pending = '';
  try {
    for await (const line of source.lines) {
      pending = pending === '' ? line : `${pending}\n${line}`;
      if ((pending.match(/"/g)?.length ?? 0) % 2 === 1) continue;
      const record = pending;
      pending = '';
      if (record.trim() === '') continue;
      const fields = splitRecord(record);
      if (!header) {
        header = fields.map((f) =>
          f
            .replace(/^\uFEFF/, '')
            .trim()
            .toLowerCase(),
        );
        continue;
      }
      addRow(invoices, columns(header), fields, catalog);
    }
  } finally {
    source.close();
  }
  return aggregate(invoices);
}

function columns(header: string[]) {
  const at = (...names: string[]) => {
    const index = header.findIndex((h) => names.includes(h));
    if (index < 0) throw new Error(`the CSV has no ${names[0]} column`);
    return index;
  };
  return {
    invoice: at('invoiceno', 'invoice'),
    code: at('stockcode'),
    quantity: at('quantity'),
    date: at('invoicedate'),
    price: at('unitprice', 'price'),
    customer: at('customerid', 'customer id'),
  };
}

function addRow(invoices: Map<string, Invoice>, c: ReturnType<typeof columns>, fields: string[], catalog: ReadonlySet<string>): void {
  const get = (i: number) => (fields[i] ?? '').trim();
  const invoiceNo = get(c.invoice).toUpperCase();
  const code = get(c.code).toUpperCase();
  const customer = get(c.customer).replace(/\.0+$/, '');
  const quantity = Number(get(c.quantity));
  const price = Number(get(c.price));
  const ts = readDate(get(c.date));
  const cancelled = invoiceNo.startsWith('C');
  if (customer === '' || !catalog.has(code) || !(price > 0) || ts === undefined) return;
  if (!/^-?\d+$/.test(get(c.quantity)) || Math.abs(quantity) > MAX_UNITS || (cancelled ? quantity >= 0 : quantity <= 0)) return;
  const userId = `c${customer}`;
  const invoice = invoices.get(invoiceNo) ?? { key: `${cancelled ? 'can' : 'inv'}-${invoiceNo}`, userId, cancelled, ts, lines: new Map() };
  if (invoice.userId !== userId) return;
  invoice.ts = Math.min(invoice.ts, ts);
  const [q, amount] = invoice.lines.get(code) ?? [0, 0];
  invoice.lines.set(code, [q + quantity, amount + quantity * price]);
  invoices.set(invoiceNo, invoice);
}

/** One paid order (a part of an invoice): per product, units bought, units returned so far and the unit price. */
interface PaidPart {
  lines: Map<string, { units: number; returned: number; price: number }>;
  /** Returns this part had, as sorted `code*units` lists. */
  returns: Set<string>;
}

/** Replays the invoices and cancellations by time into each customer's RFM inputs (see the file comment). */
function aggregate(invoices: Map<string, Invoice>): Map<string, CustomerRfm> {
  const customers = new Map<string, CustomerRfm>();
  const partsOf = new Map<string, PaidPart[]>();
  const timeline = [...invoices.values()].sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const invoice of timeline) {
    const lines = [...invoice.lines]
      .filter(([, [q]]) => q !== 0 && Math.abs(q) <= MAX_UNITS)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (lines.length === 0) continue;
    const c = customers.get(invoice.userId) ?? {
      userId: invoice.userId,
      firstAt: invoice.ts,
      lastEventAt: invoice.ts,
      lastPurchaseAt: 0,
      orders: 0,
      spend: 0,
    };
    customers.set(invoice.userId, c);
    c.firstAt = Math.min(c.firstAt, invoice.ts);
    c.lastEventAt = Math.max(c.lastEventAt, invoice.ts);
    const parts = partsOf.get(invoice.userId) ?? [];
    partsOf.set(invoice.userId, parts);
    if (!invoice.cancelled) {
      for (let from = 0; from < lines.length; from += LINES_PER_ORDER) {
        const part: PaidPart = { lines: new Map(), returns: new Set() };
        let total = 0;
        for (const [code, [units, amount]] of lines.slice(from, from + LINES_PER_ORDER)) {
          const price = Math.round((amount / units) * 1e4) / 1e4;
          part.lines.set(code, { units, returned: 0, price });
          total += units * price;
        }
        parts.push(part);
        c.spend += total;
        if (total > 0) {
          c.orders += 1;
          c.lastPurchaseAt = Math.max(c.lastPurchaseAt, invoice.ts);
        }
      }
      continue;
    }
    const wanted = lines.map(([code, [q]]) => [code, -q] as [string, number]);
    for (const [part, taken] of takeReturn(wanted, parts)) {
      for (const [code, units] of taken) {
        const line = part.lines.get(code)!;
        line.returned += units;
        c.spend -= units * line.price;
      }
    }
  }
  return customers;
}

/** The default reference time: 00:00 UTC of the day after the last invoice. */
export function dayAfterLastInvoice(customers: Iterable<CustomerRfm>): number {
  let last = 0;
  for (const c of customers) last = Math.max(last, c.lastEventAt);
  return (Math.floor(last / DAY) + 1) * DAY;
}

/**
 * RFM and segments at `at`, by the README's rules. Scores on fixed bands: recency (whole days
 * since the last purchase) ≤ 30 / 90 / 180 / 365 scores 5 / 4 / 3 / 2, else or never 1; orders
 * ≥ 20 / 10 / 5 / 2 score 5 / 4 / 3 / 2; net spend ≥ 5000 / 1000 / 500 / 100 score 5 / 4 / 3 / 2.
 * Segments: `new` (first seen — a member is created at the first invoice — less than newDays
 * before), `active` (an event within activeDays), `lapsing` (bought, last purchase lapsingMinDays
 * to lapsingMaxDays before), `big_spender` (bought, spend ≥ bigSpender); no `brand_loyal`, since
 * the catalog has no brands.
 */
export function expectedAt(c: CustomerRfm, at: number, t: Thresholds): Expected {
  const bought = c.orders > 0 && c.lastPurchaseAt > 0;
  const age = Math.max(0, at - c.lastPurchaseAt);
  const band = (value: number, steps: number[], better: (v: number, step: number) => boolean) => {
    const index = steps.findIndex((step) => better(value, step));
    return index < 0 ? 1 : 5 - index;
  };
  const segments: string[] = [];
  if (at - c.firstAt < t.newDays * DAY) segments.push('new');
  if (at - c.lastEventAt <= t.activeDays * DAY) segments.push('active');
  if (bought && at - c.lastPurchaseAt >= t.lapsingMinDays * DAY && at - c.lastPurchaseAt <= t.lapsingMaxDays * DAY)
    segments.push('lapsing');
  if (bought && c.spend >= t.bigSpender) segments.push('big_spender');
  return {
    recencyDays: bought ? Math.floor(age / DAY) : null,
    frequency: c.orders,
    monetary: c.spend,
    scores: {
      recency: bought
        ? band(
            age,
            [30, 90, 180, 365].map((d) => d * DAY),
            (v, s) => v <= s,
          )
        : 1,
      frequency: band(c.orders, [20, 10, 5, 2], (v, s) => v >= s),
      monetary: band(c.spend, [5000, 1000, 500, 100], (v, s) => v >= s),
    },
    segments,
  };
}
