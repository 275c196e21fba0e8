import { z } from 'zod';
import { MAX_LINE_QUANTITY, MAX_PRICE } from './bounds.js';
import { IdSchema, type Tier } from './field-schemas.js';

/** The parts of an order the event log's types need (orders.ts has the request and its checks). */

export const ORDER_STATUSES = ['paid', 'returned', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Most lines one order (or one return) may carry. */
export const MAX_ORDER_LINES = 500;

/** One order line: a positive quantity at a unit price (currency units, as the shop charged it). */
export const OrderLineSchema = z
  .object({
    itemId: IdSchema,
    quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
    price: z.number().finite().nonnegative().max(MAX_PRICE),
  })
  .strict();
export type OrderLine = z.infer<typeof OrderLineSchema>;

/**
 * An order as the event log holds it. `lines`: for `paid` the lines as sent (checked against the
 * catalog); for `returned` the returned quantities at the paid prices; for `cancelled` none (the
 * engine reverses whatever of the order is not reversed yet).
 */
export interface StoredOrderEvent {
  type: 'order';
  /** {@link orderEventId}: the idempotency key of this status (and, for a return, these lines). */
  id: string;
  userId: string;
  orderId: string;
  status: OrderStatus;
  lines: OrderLine[];
  ts: number;
  receivedAt: number;
  tier?: Tier;
}
