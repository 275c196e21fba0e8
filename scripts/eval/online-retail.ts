import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { openLines } from '../lib/jsonl.js';
import { convertCsvLines, type ConversionResult, type PurchaseEvent } from '../online-retail/converter.js';
import { DatasetError, type EvalDataset, type EvalStep } from './dataset.js';

/**
 * UCI Online Retail (docs/datasets.md; Chen, Sain and Guo 2012, CC BY 4.0) as a
 * time split. The catalog, the purchase events (one per invoice, `c<CustomerID>`) and their rules
 * are those of `npm run convert:online-retail` (scripts/online-retail/converter.ts); cancellations
 * are left out.
 *
 * Protocol: invoices before the cut-off train; from the cut-off on, every invoice of a customer
 * who bought before (in train or earlier in the held-out period) is a prediction: the list shown
 * to that customer just before the invoice, against the set of distinct items of the invoice.
 * Then the invoice is applied (test-then-learn). A customer's first invoice ever is applied but
 * not scored: there is nothing before it to predict from. Items new in the held-out period stay
 * in the catalog (the shop lists them) and in the relevant sets.
 */

/** Default cut-off: two months before the last invoice (2011-12-09). Epoch ms. */
export const ONLINE_RETAIL_CUTOFF = Date.UTC(2011, 9, 9);

/** Reads the CSV (plain or .gz) through the converter. */
export async function convertOnlineRetailFile(path: string): Promise<ConversionResult> {
  const source = await openLines(path).catch((err: unknown) => {
    throw new DatasetError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  });
  try {
    return await convertCsvLines(source.lines, (message) => new DatasetError(`${path}: ${message}`));
  } finally {
    source.close();
  }
}

function purchaseEvent(event: PurchaseEvent): StoredEvent {
  return {
    id: event.id,
    type: 'purchase',
    userId: event.userId,
    orderId: event.orderId,
    items: event.items,
    ts: event.ts,
    receivedAt: event.ts,
  };
}

/** Applies the time split to converted data (pure; see the module comment). */
export function buildOnlineRetail(converted: Pick<ConversionResult, 'items' | 'events'>, cutoff: number): EvalDataset {
  if (!Number.isFinite(cutoff)) throw new RangeError('cutoff must be a finite epoch ms');
  // Converter events are sorted by time, then id.
  const train: StoredEvent[] = [];
  const test: EvalStep[] = [];
  const bought = new Map<string, Set<string>>();
  /** Distinct items per order: an invoice over 1,000 lines comes as several events of one order. */
  const orderItems = new Map<string, Set<string>>();
  for (const event of converted.events) {
    let items = orderItems.get(event.orderId);
    if (!items) orderItems.set(event.orderId, (items = new Set()));
    for (const line of event.items) if (line.quantity > 0) items.add(line.itemId);
  }
  const scoredOrders = new Set<string>();
  let relevantItems = 0;
  let repeatItems = 0;
  let firstInvoices = 0;
  const testCustomers = new Set<string>();
  for (const event of converted.events) {
    const stored = purchaseEvent(event);
    const history = bought.get(event.userId);
    if (event.ts < cutoff) {
      train.push(stored);
    } else if (scoredOrders.has(event.orderId)) {
      test.push({ event: stored }); // a later part of an order already scored as a whole
    } else if (!history) {
      firstInvoices++;
      test.push({ event: stored });
    } else {
      const relevant = [...orderItems.get(event.orderId)!];
      const repeats = relevant.filter((id) => history.has(id)).length;
      scoredOrders.add(event.orderId);
      testCustomers.add(event.userId);
      relevantItems += relevant.length;
      repeatItems += repeats;
      test.push({ event: stored, relevant, repeats });
    }
    let set = history;
    if (!set) bought.set(event.userId, (set = new Set()));
    for (const line of event.items) if (line.quantity > 0) set.add(line.itemId);
  }
  const predictions = test.filter((step) => step.relevant).length;
  const withRepeat = test.filter((step) => (step.repeats ?? 0) > 0).length;
  return {
    name: 'online-retail',
    protocol: `invoices before ${new Date(cutoff).toISOString().slice(0, 10)} train; each later invoice of a returning customer is predicted from everything before it; relevant = its distinct items`,
    items: converted.items,
    train,
    test,
    facts: {
      items: converted.items.length,
      cutoff: new Date(cutoff).toISOString(),
      trainInvoices: train.length,
      trainCustomers: new Set(train.map((event) => event.userId)).size,
      testInvoices: test.length,
      firstInvoicesNotScored: firstInvoices,
      predictions,
      customersScored: testCustomers.size,
      meanRelevantItems: predictions > 0 ? Math.round((relevantItems / predictions) * 10) / 10 : 0,
      /** Share of relevant items the customer had bought before (what `includeBought` can reach). */
      repeatItemShare: relevantItems > 0 ? Math.round((repeatItems / relevantItems) * 1000) / 1000 : 0,
      /** Predictions with at least one re-bought item among the relevant ones. */
      predictionsWithRepeat: withRepeat,
    },
  };
}

/** Reads the CSV and applies the split. */
export async function readOnlineRetail(path: string, cutoff = ONLINE_RETAIL_CUTOFF): Promise<EvalDataset> {
  return buildOnlineRetail(await convertOnlineRetailFile(path), cutoff);
}
