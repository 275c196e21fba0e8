/**
 * Online Retail as orders the shop vouches for (`orders.jsonl`, for `npm run import -- --orders`):
 * points, tiers, lifetime value and revenue come only from `POST /v1/orders`, so the converter
 * writes every invoice as a `paid` order and every cancellation as `returned` lines of the orders
 * it takes back. Pure: it works on the converter's purchases and cancellations.
 *
 * Rules (check:points writes them out again, from the CSV, to check the product against them):
 * - Paid: one order per invoice, `orderId` = InvoiceNo, lines sorted by itemId at the invoice's
 *   quantity-weighted unit price (the converter's), `ts` the invoice time. An invoice of more than
 *   MAX_ORDER_LINES products is split in parts `<InvoiceNo>`, `<InvoiceNo>-2`, ... of that many lines.
 * - Returns: the data never says which invoice a cancellation (`C…`) takes back, so each
 *   cancelled line is matched to the same customer's earlier paid orders holding that item,
 *   newest first, each giving back at most what it still has (bought minus returned). One
 *   `returned` order per cancellation and matched order, with the matched quantities at that
 *   order's prices, at the cancellation's time. Units no earlier order holds (bought before the
 *   data starts, or more than bought) are left out: no points were earned for them here.
 * - A return is known by its order and its lines (item and quantity; contracts/orders.ts), so a
 *   second return of exactly the same lines of one order would read as a retry of the first.
 *   When a cancellation's return to an order would repeat an earlier one, that order is skipped
 *   for this cancellation and its lines are matched again among the others (and again, until
 *   none repeats); what then fits nowhere is left out, counted as `repeatedUnits`.
 * - Order of the file: by time, then by key (`can-<CNo>:<orderId>` sorts before `inv-<InvoiceNo>`
 *   at the same time, as in events.jsonl). A customer's orders must reach Pulse in this order:
 *   a paid order earns at the rate of the tier held when it is applied.
 */
import { MAX_ORDER_LINES, type OrderLine } from '../../engine/contracts/orders.js';
import type { LineItem } from '../../engine/contracts/schemas.js';

export { MAX_ORDER_LINES };

/** One line of orders.jsonl: the body of `POST /v1/orders`. */
export interface OrderRecord {
  orderId: string;
  userId: string;
  status: 'paid' | 'returned';
  lines: OrderLine[];
  ts: number;
}

export interface OrdersStats {
  /** Paid orders (an invoice split in parts counts per part). */
  paid: number;
  /** Returned orders (one per cancellation and matched order). */
  returns: number;
  /** Cancelled units matched to a paid order, and units left out (no earlier order holds them). */
  returnedUnits: number;
  unmatchedUnits: number;
  /** Of the units left out: those only a repeated return could have taken back. */
  repeatedUnits: number;
  /** Cancellations of which no unit matched (no return written). */
  unmatchedCancellations: number;
}

export interface OrdersResult {
  /** Time-ordered (see the file comment). */
  orders: OrderRecord[];
  stats: OrdersStats;
}

interface Source {
  id: string;
  userId: string;
  orderId: string;
  ts: number;
  items: LineItem[];
}

interface PaidPart {
  orderId: string;
  /** itemId -> the paid line and how much of it came back so far. */
  lines: Map<string, { quantity: number; price: number; returned: number }>;
  /** Return digests (`item*qty` lines, sorted) this order has had. */
  returns: Set<string>;
}

const byKey = (a: { ts: number; key: string }, b: { ts: number; key: string }): number =>
  a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byItem = (a: { itemId: string }, b: { itemId: string }): number => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0);

/** `item*qty` lines sorted by item: what makes two returns of one order the same return. */
function digestOf(lines: ReadonlyMap<string, number>): string {
  return [...lines]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([itemId, quantity]) => `${itemId}*${quantity}`)
    .join('\n');
}

/**
 * The orders of the converter's purchases (split at 1,000 lines per event: parts are joined
 * again by orderId) and cancellations (`can-<CNo>`, negative quantities); see the file comment.
 */
export function ordersOf(purchases: readonly Source[], cancellations: ReadonlyArray<Omit<Source, 'orderId'>>): OrdersResult {
  // Invoices whole again, then in time order with the cancellations.
  const invoices = new Map<string, { key: string; kind: 'paid'; userId: string; orderId: string; ts: number; items: LineItem[] }>();
  for (const event of purchases) {
    const invoice = invoices.get(event.orderId);
    if (invoice) invoice.items.push(...event.items);
    else
      invoices.set(event.orderId, {
        key: `inv-${event.orderId}`,
        kind: 'paid',
        userId: event.userId,
        orderId: event.orderId,
        ts: event.ts,
        items: [...event.items],
      });
  }
  const timeline = [
    ...invoices.values(),
    ...cancellations.map((c) => ({ key: c.id, kind: 'cancelled' as const, userId: c.userId, ts: c.ts, items: c.items })),
  ].sort(byKey);

  const stats: OrdersStats = { paid: 0, returns: 0, returnedUnits: 0, unmatchedUnits: 0, repeatedUnits: 0, unmatchedCancellations: 0 };
  const orders: Array<OrderRecord & { key: string }> = [];
  /** Per customer, paid parts oldest first. */
  const paidOf = new Map<string, PaidPart[]>();

  for (const entry of timeline) {
    if (entry.kind === 'paid') {
      const lines = [...entry.items].sort(byItem);
      for (let part = 0; part * MAX_ORDER_LINES < lines.length; part++) {
        const orderId = part === 0 ? entry.orderId : `${entry.orderId}-${part + 1}`;
        const slice = lines
          .slice(part * MAX_ORDER_LINES, (part + 1) * MAX_ORDER_LINES)
          .map((l) => ({ itemId: l.itemId, quantity: l.quantity, price: l.price }));
        orders.push({
          key: part === 0 ? entry.key : `${entry.key}-${part + 1}`,
          orderId,
          userId: entry.userId,
          status: 'paid',
          lines: slice,
          ts: entry.ts,
        });
        stats.paid += 1;
        const held = paidOf.get(entry.userId) ?? [];
        held.push({
          orderId,
          lines: new Map(slice.map((l) => [l.itemId, { quantity: l.quantity, price: l.price, returned: 0 }])),
          returns: new Set(),
        });
        paidOf.set(entry.userId, held);
      }
      continue;
    }
    const wanted = [...entry.items].sort(byItem).map((l) => ({ itemId: l.itemId, units: -l.quantity }));
    const held = paidOf.get(entry.userId) ?? [];
    const skipped = new Set<PaidPart>();
    let matched = allocate(wanted, held, skipped);
    // A return that would repeat an earlier one of the same order: match again without that order.
    for (
      let repeat = [...matched].find(([part, lines]) => part.returns.has(digestOf(lines)));
      repeat;
      repeat = [...matched].find(([part, lines]) => part.returns.has(digestOf(lines)))
    ) {
      skipped.add(repeat[0]);
      matched = allocate(wanted, held, skipped);
    }
    const wantedUnits = wanted.reduce((sum, l) => sum + l.units, 0);
    // What the skipped orders would have taken back: left out because of a repeat.
    const unskipped = skipped.size > 0 ? allocatedUnits(allocate(wanted, held, new Set())) : 0;
    let placed = 0;
    for (const [part, lines] of matched) {
      part.returns.add(digestOf(lines));
      const returned: OrderLine[] = [];
      for (const [itemId, quantity] of [...lines].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const line = part.lines.get(itemId)!;
        line.returned += quantity;
        placed += quantity;
        returned.push({ itemId, quantity, price: line.price });
      }
      orders.push({
        key: `${entry.key}:${part.orderId}`,
        orderId: part.orderId,
        userId: entry.userId,
        status: 'returned',
        lines: returned,
        ts: entry.ts,
      });
      stats.returns += 1;
    }
    stats.returnedUnits += placed;
    stats.unmatchedUnits += wantedUnits - placed;
    if (skipped.size > 0) stats.repeatedUnits += Math.max(0, unskipped - placed);
    if (matched.size === 0) stats.unmatchedCancellations += 1;
  }
  orders.sort(byKey);
  return { orders: orders.map(({ key: _key, ...order }) => order), stats };
}

/**
 * Which units of `wanted` each paid part gives back: per item, the newest parts first, each at
 * most what it still holds; `skipped` parts give nothing. Pure (reads `returned`, changes nothing).
 * Parts in the Map in the order they were first matched.
 */
function allocate(
  wanted: ReadonlyArray<{ itemId: string; units: number }>,
  held: readonly PaidPart[],
  skipped: ReadonlySet<PaidPart>,
): Map<PaidPart, Map<string, number>> {
  const matched = new Map<PaidPart, Map<string, number>>();
  for (const { itemId, units } of wanted) {
    let left = units;
    for (let i = held.length - 1; i >= 0 && left > 0; i--) {
      const part = held[i]!;
      if (skipped.has(part)) continue;
      const line = part.lines.get(itemId);
      if (!line) continue;
      const take = Math.min(left, line.quantity - line.returned);
      if (take <= 0) continue;
      left -= take;
      const lines = matched.get(part) ?? new Map<string, number>();
      lines.set(itemId, take);
      matched.set(part, lines);
    }
  }
  return matched;
}

function allocatedUnits(matched: ReadonlyMap<PaidPart, ReadonlyMap<string, number>>): number {
  let units = 0;
  for (const lines of matched.values()) for (const quantity of lines.values()) units += quantity;
  return units;
}
