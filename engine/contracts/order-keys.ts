import { createHash } from 'node:crypto';
import type { OrderAccepted, OrderLine, OrderStatus } from './orders.js';

/*
 * The node-side half of the order contract (contracts/orders.ts stays free of Node modules, so the
 * storefront's browser code can share its types): the log ids and digests that make an order
 * status idempotent, and the engine's `orders.accept` request.
 */

/**
 * A return's identity: its lines (itemId and quantity, in itemId order), hashed. The same return
 * sent twice is one return; a return of other lines (or quantities) of the order is another.
 */
export function returnDigest(lines: readonly { itemId: string; quantity: number }[]): string {
  const canonical = [...lines]
    .sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0))
    .map((line) => `${line.itemId}*${line.quantity}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** The digest of a paid order's lines (items, quantities and prices): a re-sent `paid` must match it. */
export function paidDigest(lines: readonly OrderLine[]): string {
  const canonical = [...lines]
    .sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0))
    .map((line) => `${line.itemId}*${line.quantity}@${line.price}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/**
 * The log id of an order status: `order:paid:<orderId>`, `order:cancelled:<orderId>`,
 * `order:returned:<returnDigest>:<orderId>`. JetStream's duplicate window, the user state's event
 * markers and the order record all key on it.
 */
export function orderEventId(orderId: string, status: OrderStatus, lines: readonly { itemId: string; quantity: number }[]): string {
  return status === 'returned' ? `order:returned:${returnDigest(lines)}:${orderId}` : `order:${status}:${orderId}`;
}

declare module './messages.js' {
  interface RpcMethods {
    /**
     * Checks an order (shop or admin, schema-valid at the gateway) against the catalog and the
     * order's history, records the acceptance, and answers the event for the gateway to append.
     * Codes: invalid_request, unknown_item, price_mismatch (422), order_conflict (409),
     * unavailable (a return or cancellation whose paid order is still being applied: retry).
     */
    'orders.accept': { request: { order: unknown; receivedAt: number }; result: OrderAccepted };
  }
}
