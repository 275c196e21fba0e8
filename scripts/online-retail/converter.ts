/**
 * The Online Retail conversion without I/O (see scripts/convert-online-retail.ts for the rules):
 * the converter that folds sales lines into items, members, purchase events and cancellations.
 * Where the columns sit and how dates read is in csv-columns.ts, what it produces in
 * conversion-result.ts; both are re-exported here.
 */
import { IdSchema, type Item, type LineItem } from '../../engine/contracts/schemas.js';
import { CsvError, isCsvRecordComplete, parseCsvRecord } from '../lib/csv.js';
import { categoryOf, isProductCode, isUsableDescription, sentenceCase, tagsOf } from './catalog-rules.js';
import { byTime, memberOf, type Cancellation, type ConversionResult, type PurchaseEvent, type SkipReason } from './conversion-result.js';
import { columnsOf, parseInvoiceDate, type Columns } from './csv-columns.js';

export { cancellationEvent, memberOf, timeOrderedEvents } from './conversion-result.js';
export type { Cancellation, ConversionResult, ConversionStats, PurchaseEvent, SkipReason } from './conversion-result.js';
export { columnsOf, parseInvoiceDate, type Columns } from './csv-columns.js';

interface InvoiceLine {
  quantity: number;
  /** Sum of quantity * unit price. */
  amount: number;
  /** Source lines folded into this one, for the skip count when it is dropped. */
  sourceLines: number;
}

interface Invoice {
  invoiceNo: string;
  userId: string;
  cancelled: boolean;
  /** Earliest line time (epoch ms). */
  ts: number;
  lines: Map<string, InvoiceLine>;
}

/** LineItem quantities are bounded (see LineItemSchema). */
const MAX_QUANTITY = 1_000_000;
/**
 * How many times its catalog price an invoice line may cost: orders.jsonl is checked against the
 * catalog (`price_mismatch` beyond ORDER_PRICE_TOLERANCE), whose largest value, 10, lets a line be
 * 11 times the catalog price. An item whose median is lower than 1/11 of one of its lines (a
 * handful in the full data: manual prices) gets that fraction, rounded up to the cent.
 */
const MAX_PRICE_SPAN = 11;
/** Largest `items` array of one purchase event (see EventInputSchema). */
const MAX_ITEMS_PER_EVENT = 1000;

/**
 * The conversion without I/O: feed it records with `add`, take the files' contents from `finish`.
 * Invoices are held until the end (the full dataset needs a few tens of MB), because which items
 * exist is only known then.
 */
export class OnlineRetailConverter {
  private readonly invoices = new Map<string, Invoice>();
  /** Per product: unit prices of its sales lines, and how often each description appeared. */
  private readonly products = new Map<string, { prices: number[]; descriptions: Map<string, number> }>();
  private readonly skipped: Partial<Record<SkipReason, number>> = {};
  private lines = 0;

  constructor(private readonly columns: Columns) {}

  /** One data record's fields. */
  add(fields: string[]): void {
    this.lines += 1;
    const reason = this.take(fields);
    if (reason) this.skip(reason);
  }

  /** Counts a record the reader could not parse. */
  addMalformed(): void {
    this.lines += 1;
    this.skip('malformed_csv');
  }

  private skip(reason: SkipReason, n = 1): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
  }

  private take(fields: string[]): SkipReason | undefined {
    const c = this.columns;
    if (fields.length < Math.max(...Object.values(c)) + 1) return 'malformed_csv';
    const invoiceNo = fields[c.invoice]!.trim().toUpperCase();
    const code = fields[c.stockCode]!.trim().toUpperCase();
    if (!isProductCode(code)) return 'non_product_code';
    const price = Number(fields[c.price]!.trim());
    if (!(Number.isFinite(price) && price > 0)) return 'non_positive_price';
    const quantityText = fields[c.quantity]!.trim();
    const quantity = Number(quantityText);
    const cancelled = invoiceNo.startsWith('C');
    if (!/^-?\d+$/.test(quantityText)) return 'bad_quantity';
    if (Math.abs(quantity) > MAX_QUANTITY) return 'quantity_out_of_range';
    if (!cancelled && quantity <= 0) return 'non_positive_quantity';
    if (cancelled && quantity >= 0) return 'non_negative_cancellation';
    const ts = parseInvoiceDate(fields[c.date]!);
    if (ts === undefined) return 'bad_date';
    if (!cancelled) this.noteSale(code, price, fields[c.description]!);
    // Some exports write CustomerID as a float ("17850.0").
    const customer = fields[c.customer]!.trim().replace(/\.0+$/, '');
    if (customer === '') return 'no_customer';
    const userId = `c${customer}`;
    if (!IdSchema.safeParse(userId).success || !IdSchema.safeParse(`inv-${invoiceNo}`).success) return 'bad_id';
    let invoice = this.invoices.get(invoiceNo);
    if (!invoice) {
      invoice = { invoiceNo, userId, cancelled, ts, lines: new Map() };
      this.invoices.set(invoiceNo, invoice);
    } else if (invoice.userId !== userId) {
      return 'invoice_customer_mismatch';
    }
    invoice.ts = Math.min(invoice.ts, ts);
    const line = invoice.lines.get(code) ?? { quantity: 0, amount: 0, sourceLines: 0 };
    line.quantity += quantity;
    line.amount += quantity * price;
    line.sourceLines += 1;
    invoice.lines.set(code, line);
    return undefined;
  }

  private noteSale(code: string, price: number, rawDescription: string): void {
    let product = this.products.get(code);
    if (!product) {
      product = { prices: [], descriptions: new Map() };
      this.products.set(code, product);
    }
    product.prices.push(price);
    const description = rawDescription.trim().replace(/\s+/g, ' ');
    if (isUsableDescription(description)) product.descriptions.set(description, (product.descriptions.get(description) ?? 0) + 1);
  }

  /** The catalog, the events and the cancellations, with the counts. */
  finish(): ConversionResult {
    const items = this.buildItems();
    const known = new Set(items.map((i) => i.itemId));
    const events: PurchaseEvent[] = [];
    const cancellations: Cancellation[] = [];
    const customers = new Set<string>();
    /** Per customer, the time of the first kept invoice (purchase or cancellation). */
    const firstTs = new Map<string, number>();
    let invoices = 0;
    let lineItems = 0;
    /** Per item, the highest unit price of an invoice line (what orders.jsonl will ask the engine to accept). */
    const maxPaid = new Map<string, number>();
    for (const invoice of this.invoices.values()) {
      const lines: LineItem[] = [];
      for (const [itemId, line] of invoice.lines) {
        if (!known.has(itemId)) {
          this.skip('no_item', line.sourceLines);
        } else if (line.quantity === 0 || Math.abs(line.quantity) > MAX_QUANTITY) {
          this.skip('quantity_out_of_range', line.sourceLines);
        } else {
          lines.push({ itemId, quantity: line.quantity, price: round(line.amount / line.quantity, 4) });
        }
      }
      if (lines.length === 0) continue;
      firstTs.set(invoice.userId, Math.min(firstTs.get(invoice.userId) ?? Infinity, invoice.ts));
      if (invoice.cancelled) {
        cancellations.push({ id: `can-${invoice.invoiceNo}`, userId: invoice.userId, ts: invoice.ts, items: lines });
        continue;
      }
      invoices += 1;
      lineItems += lines.length;
      customers.add(invoice.userId);
      for (const line of lines) maxPaid.set(line.itemId, Math.max(maxPaid.get(line.itemId) ?? 0, line.price));
      for (let part = 0; part * MAX_ITEMS_PER_EVENT < lines.length; part++) {
        const id = part === 0 ? `inv-${invoice.invoiceNo}` : `inv-${invoice.invoiceNo}-${part + 1}`;
        const slice = lines.slice(part * MAX_ITEMS_PER_EVENT, (part + 1) * MAX_ITEMS_PER_EVENT);
        events.push({ id, type: 'purchase', userId: invoice.userId, orderId: invoice.invoiceNo, ts: invoice.ts, items: slice });
      }
    }
    events.sort(byTime);
    cancellations.sort(byTime);
    let raisedPrices = 0;
    for (const item of items) {
      // A line may be at most MAX_PRICE_SPAN x the catalog price for any ORDER_PRICE_TOLERANCE (at most 10).
      const floor = Math.ceil(((maxPaid.get(item.itemId) ?? 0) / MAX_PRICE_SPAN) * 100) / 100;
      if (item.price < floor) {
        item.price = floor;
        raisedPrices += 1;
      }
    }
    const members = [...firstTs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([userId, ts]) => memberOf(userId, ts));
    return {
      items,
      members,
      events,
      cancellations,
      stats: {
        lines: this.lines,
        items: items.length,
        customers: customers.size,
        members: members.length,
        invoices,
        cancellations: cancellations.length,
        lineItems,
        raisedPrices,
        skipped: { ...this.skipped },
      },
    };
  }

  private buildItems(): Item[] {
    const items: Item[] = [];
    for (const [itemId, product] of this.products) {
      let best: string | undefined;
      let bestCount = 0;
      // Most frequent description; ties go to the alphabetically first, for stable output.
      for (const [description, count] of product.descriptions) {
        if (count > bestCount || (count === bestCount && best !== undefined && description < best)) {
          best = description;
          bestCount = count;
        }
      }
      if (best === undefined) continue;
      const item: Item = {
        itemId,
        title: sentenceCase(best).slice(0, 500),
        category: categoryOf(best),
        price: round(median(product.prices), 2),
      };
      const tags = tagsOf(best);
      if (tags.length > 0) item.tags = tags;
      items.push(item);
    }
    return items.sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * Feeds the lines of the Online Retail CSV to a converter: the header names the columns, every
 * later record is a row; a record that is not valid CSV (or an unclosed quote at the end) is counted
 * as malformed. `fail` makes the error for an empty file or a bad header; `onLine` sees every line.
 */
export async function convertCsvLines(
  lines: AsyncIterable<string>,
  fail: (message: string) => Error,
  onLine?: () => void,
): Promise<ConversionResult> {
  let converter: OnlineRetailConverter | undefined;
  let pending = '';
  for await (const physical of lines) {
    onLine?.();
    // A quoted field may hold a line break: join lines until the quotes balance.
    pending = pending === '' ? physical : `${pending}\n${physical}`;
    if (!isCsvRecordComplete(pending)) continue;
    const record = pending;
    pending = '';
    if (record.trim() === '') continue;
    let fields: string[] | undefined;
    try {
      fields = parseCsvRecord(record);
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
    }
    if (!converter) {
      if (!fields) throw fail('the header line is not valid CSV');
      converter = new OnlineRetailConverter(columnsOf(fields));
    } else if (fields) {
      converter.add(fields);
    } else {
      converter.addMalformed();
    }
  }
  if (!converter) throw fail('the file is empty');
  if (pending !== '') converter.addMalformed();
  return converter.finish();
}
