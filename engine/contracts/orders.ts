import { z } from 'zod';
import { MAX_ID_LENGTH, MAX_ORDER_TOTAL, MAX_TS } from './bounds.js';
import {
  type OrderLine,
  OrderLineSchema,
  ORDER_STATUSES,
  type OrderStatus,
  MAX_ORDER_LINES,
  type StoredOrderEvent,
} from './order-lines.js';
import { TierSchema } from './field-schemas.js';
import { IdSchema, linesGrossTotal, parseStoredEvent, type LoggedEvent } from './schemas.js';

export { MAX_ORDER_LINES, ORDER_STATUSES, OrderLineSchema, type OrderLine, type OrderStatus, type StoredOrderEvent };

/**
 * Orders the shop vouches for (CONTRACT.md "Membership"): a shop backend (role `shop`, or an
 * admin) posts `POST /v1/orders`. Orders are the only source of points, tiers, lifetime value and
 * revenue; a browser's `purchase` event is a behaviour signal and earns nothing.
 *
 * An accepted order travels through the event log as an internal `order` event on its user's
 * partition (like a login's `merge`), so it is durable before the 202, applied in the user's
 * order with their events, and rebuildable from the log.
 */

/**
 * `POST /v1/orders` body. `paid` and `returned` need at least one line; `cancelled` takes none or
 * the paid lines. An itemId appears at most once per order (returns name lines by itemId). A
 * return's `price` is ignored: a returned unit is worth what it was paid (the paid line's price).
 */
export const OrderSchema = z
  .object({
    orderId: IdSchema,
    userId: IdSchema,
    status: z.enum(ORDER_STATUSES),
    lines: z.array(OrderLineSchema).max(MAX_ORDER_LINES).default([]),
    ts: z.number().int().positive().max(MAX_TS).optional(),
    /**
     * A paid order's coupon, redeemed for this orderId by the member before (`coupons.redeem`):
     * its lines may then sit below the catalog price by the coupon's discount (percent per line,
     * or a value off the whole), and points follow those net prices. Upper-case code.
     */
    couponCode: z
      .string()
      .regex(/^[A-HJ-NP-Z2-9]{10,32}$/, 'a coupon code is 10..32 upper-case letters and digits (no 0, 1, I, O)')
      .optional(),
  })
  .strict()
  .superRefine((order, ctx) => {
    if (order.couponCode !== undefined && order.status !== 'paid')
      ctx.addIssue({ code: 'custom', path: ['couponCode'], message: 'only a paid order carries a coupon' });
    if (order.status !== 'cancelled' && order.lines.length === 0)
      ctx.addIssue({ code: 'custom', path: ['lines'], message: `a ${order.status} order needs at least one line` });
    const seen = new Set<string>();
    order.lines.forEach((line, i) => {
      if (seen.has(line.itemId))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'itemId'], message: `itemId "${line.itemId}" appears twice: one line per item` });
      seen.add(line.itemId);
    });
    if (linesGrossTotal(order.lines) > MAX_ORDER_TOTAL)
      ctx.addIssue({
        code: 'custom',
        path: ['lines'],
        message: `the lines' total (sum of price x quantity) must be at most ${MAX_ORDER_TOTAL}`,
      });
  });
export type Order = z.infer<typeof OrderSchema>;

export function isOrderEvent(event: LoggedEvent): event is StoredOrderEvent {
  return event.type === 'order';
}

const StoredOrderEventSchema = z
  .object({
    type: z.literal('order'),
    id: z
      .string()
      .min(1)
      .max(MAX_ID_LENGTH + 40)
      .regex(/^order:[A-Za-z0-9_.:@-]+$/),
    userId: IdSchema,
    orderId: IdSchema,
    status: z.enum(ORDER_STATUSES),
    lines: z.array(OrderLineSchema).max(MAX_ORDER_LINES),
    ts: z.number().int().positive().max(MAX_TS),
    receivedAt: z.number().int().positive().max(MAX_TS),
    tier: TierSchema.optional(),
  })
  .strict();

/**
 * Decodes a message of the event log: an internal `order` event here, anything else through
 * parseStoredEvent (shopper events and merges). Throws (a ZodError) when it is neither.
 */
export function parseLoggedEvent(value: unknown): LoggedEvent {
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'order')
    return StoredOrderEventSchema.parse(value) as StoredOrderEvent;
  return parseStoredEvent(value);
}

/** What `orders.accept` answers: the event to append (the gateway appends it, then answers 202). */
export interface OrderAccepted {
  /** True when this orderId + status (+ lines of a return) was accepted before: appending again is harmless. */
  duplicate: boolean;
  event: StoredOrderEvent;
}
