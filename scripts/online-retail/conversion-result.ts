/**
 * What the Online Retail conversion produces (see converter.ts): its events, cancellations,
 * members and counts, and the helpers that put them in the order the engine needs.
 */
import type { Item, LineItem, MemberImport } from '../../engine/contracts/schemas.js';

export type SkipReason =
  | 'malformed_csv'
  | 'non_product_code'
  | 'non_positive_price'
  | 'non_positive_quantity'
  | 'non_negative_cancellation'
  | 'bad_quantity'
  | 'quantity_out_of_range'
  | 'bad_date'
  | 'bad_id'
  | 'no_customer'
  | 'invoice_customer_mismatch'
  | 'no_item';

export interface PurchaseEvent {
  id: string;
  type: 'purchase';
  userId: string;
  orderId: string;
  ts: number;
  items: LineItem[];
}

export interface Cancellation {
  id: string;
  userId: string;
  ts: number;
  items: LineItem[];
}

export interface ConversionResult {
  items: Item[];
  /** One per customer with a purchase or a cancellation, sorted by memberId (see memberOf). */
  members: MemberImport[];
  /** Sorted by ts, then id. */
  events: PurchaseEvent[];
  /** Sorted by ts, then id. */
  cancellations: Cancellation[];
  stats: ConversionStats;
}

export const byTime = (a: { ts: number; id: string }, b: { ts: number; id: string }): number =>
  a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A cancellation as the event that reverses its points: a `purchase` with the negative
 * quantities, orderId = the InvoiceNo (`C…`). The engine books a negative total as a cancellation
 * at the rate of the tier held at that moment, and leaves negative lines out of the shopper's taste.
 */
export function cancellationEvent(cancellation: Cancellation): PurchaseEvent {
  return {
    id: cancellation.id,
    type: 'purchase',
    userId: cancellation.userId,
    orderId: cancellation.id.replace(/^can-/, ''),
    ts: cancellation.ts,
    items: cancellation.items,
  };
}

/**
 * Purchases and cancellations in one list, by time (then id: `can-` before `inv-` at the same
 * time): what events.jsonl holds. One list because points depend on the tier held when each
 * event happens, so a customer's events must reach the engine in this order; two files imported
 * one after the other would apply every cancellation after all purchases.
 */
export function timeOrderedEvents(result: Pick<ConversionResult, 'events' | 'cancellations'>): PurchaseEvent[] {
  return [...result.events, ...result.cancellations.map(cancellationEvent)].sort(byTime);
}

/**
 * The member of a customer: memberId = the events' userId (`c<CustomerID>`), a placeholder email
 * on the reserved `.invalid` TLD (RFC 2606: never deliverable, never someone's real address),
 * `Customer <CustomerID>` as the name (the data has none), created at the first invoice.
 */
export function memberOf(userId: string, firstTs: number): MemberImport {
  // Ids may hold `@` or `:`; the local part keeps the safe characters only.
  return {
    memberId: userId,
    email: `${userId.toLowerCase().replace(/[^a-z0-9._-]/g, '_')}@online-retail.invalid`,
    name: `Customer ${userId.replace(/^c/, '')}`,
    createdAt: firstTs,
  };
}

export interface ConversionStats {
  /** Data records read (header excluded). */
  lines: number;
  items: number;
  /** Distinct customers with at least one purchase event. */
  customers: number;
  /** Members written: customers with a purchase or a cancellation. */
  members: number;
  /** Invoices written as purchase events (an invoice split in parts counts once). */
  invoices: number;
  cancellations: number;
  /** Line items over all purchase events. */
  lineItems: number;
  /** Items whose median price was raised so that no invoice line is more than MAX_PRICE_SPAN times it. */
  raisedPrices: number;
  skipped: Partial<Record<SkipReason, number>>;
}
