import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { RpcMethod } from '../contracts/messages.js';
import { OrderSchema, type Order, type OrderLine, type StoredOrderEvent } from '../contracts/orders.js';
import { orderEventId, paidDigest, returnDigest } from '../contracts/order-keys.js';
import { zodDetails, type Item } from '../contracts/schemas.js';
import type { MemberStore } from './member-store.js';
import type { CouponStore } from './coupon-store.js';
import { checkCouponOrder } from './coupon-order-check.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';

export interface OrderHandlerDeps {
  members: MemberStore;
  /** The engine's catalog copy (prices the shop's lines are checked against). */
  catalog: { get(itemId: string): Item | undefined };
  /** ORDER_PRICE_TOLERANCE: how far a paid unit price may lie from the catalog's, as a share of it. */
  priceTolerance: number;
  /** The members' coupons: a paid order with `couponCode` is checked against its redeemed coupon (coupon-order-check.ts). */
  coupons?: Pick<CouponStore, 'list'>;
  /** Wraps each handler (metrics, error counting); identity by default. */
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
}

/**
 * Registers `orders.accept`: the synchronous half of `POST /v1/orders`. It validates the order
 * again (the engine trusts no caller), checks a paid order's prices against the catalog, records
 * the status against the order's history (`acceptOrder`: conflicts refused, repeats marked), and
 * answers the `order` event the gateway then appends to the user's partition before its 202.
 * Points, lifetime value and revenue move only when the engine applies that event (PointsStage).
 *
 * A return or cancellation is accepted only once the paid status has been applied: its event then
 * lands after the paid one in the user's partition, so it always finds what to reverse. Between
 * the paid 202 and its application (milliseconds, normally) the answer is `unavailable` (retry).
 * Cost: a catalog lookup per line, one or two Redis reads and one script.
 */
export function registerOrderHandlers(server: RpcServer, deps: OrderHandlerDeps): void {
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  server.serve(
    'orders.accept',
    wrap('orders.accept', async ({ order: raw, receivedAt }) => {
      const parsed = OrderSchema.safeParse(raw);
      if (!parsed.success) {
        const details = zodDetails(parsed.error);
        const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
        throw new PulseError(ErrorCodes.invalidRequest, `invalid order: ${field}: ${problem}`, details);
      }
      if (!Number.isSafeInteger(receivedAt) || receivedAt <= 0)
        throw new PulseError(ErrorCodes.invalidRequest, 'receivedAt must be epoch ms');
      return acceptOrder(parsed.data, receivedAt, deps);
    }),
  );
}

/** The checks and the acceptance of one valid order; the event to append. */
export async function acceptOrder(
  order: Order,
  receivedAt: number,
  deps: Pick<OrderHandlerDeps, 'members' | 'catalog' | 'priceTolerance' | 'coupons'>,
): Promise<{ duplicate: boolean; event: StoredOrderEvent }> {
  const { members } = deps;
  if (order.status === 'paid' && order.couponCode !== undefined) await checkCouponOrder(order, deps);
  else if (order.status === 'paid') checkPrices(order.lines, deps.catalog, deps.priceTolerance);
  else {
    const paid = await members.paidOrderState(order.userId, order.orderId);
    if (paid === 'unknown')
      throw new PulseError(
        ErrorCodes.orderConflict,
        `order ${order.orderId}: it was never paid (a ${order.status} needs the paid order first)`,
      );
    if (paid === 'accepted')
      throw new PulseError(ErrorCodes.unavailable, `order ${order.orderId}: its paid status is still being applied; retry in a moment`, {
        retryAfterSeconds: '1',
      });
  }
  const { duplicate, paidPrices } = await members.acceptOrder({
    orderId: order.orderId,
    userId: order.userId,
    status: order.status,
    lines: order.lines,
    ...(order.status === 'returned' ? { returnDigest: returnDigest(order.lines) } : { paidDigest: paidDigest(order.lines) }),
  });
  let lines: OrderLine[] = [];
  if (order.status === 'paid') lines = order.lines;
  else if (order.status === 'returned') {
    // A returned unit is worth what was paid for it, whatever price the return names.
    lines = order.lines.map((line) => {
      const price = paidPrices[line.itemId];
      if (price === undefined) throw new PulseError(ErrorCodes.orderConflict, `order ${order.orderId}: item ${line.itemId} is not in it`);
      return { itemId: line.itemId, quantity: line.quantity, price };
    });
  }
  const event: StoredOrderEvent = {
    type: 'order',
    id: orderEventId(order.orderId, order.status, order.lines),
    userId: order.userId,
    orderId: order.orderId,
    status: order.status,
    lines,
    ts: order.ts ?? receivedAt,
    receivedAt,
  };
  return { duplicate, event };
}

/**
 * Throws `unknown_item` (422) for a line the catalog does not hold and `price_mismatch` (422) for
 * one whose unit price differs from the catalog's by more than `tolerance` x the catalog price;
 * the first such line is named in `details` (item, catalog price, sent price, tolerance).
 */
export function checkPrices(lines: readonly OrderLine[], catalog: OrderHandlerDeps['catalog'], tolerance: number): void {
  for (const [index, line] of lines.entries()) {
    const item = catalog.get(line.itemId);
    if (!item)
      throw new PulseError(ErrorCodes.unknownItem, `line ${index}: item ${line.itemId} is not in the catalog`, {
        itemId: line.itemId,
        line: String(index),
      });
    // A hair of slack for cents written in binary (19.99 * 1.05 is not exact).
    const allowed = item.price * tolerance + 1e-9 * Math.max(1, item.price);
    if (Math.abs(line.price - item.price) > allowed) {
      throw new PulseError(
        ErrorCodes.priceMismatch,
        `line ${index}: item ${line.itemId} sent at ${line.price}, the catalog price is ${item.price} (tolerance ${tolerance * 100}%)`,
        {
          itemId: line.itemId,
          line: String(index),
          catalogPrice: String(item.price),
          sentPrice: String(line.price),
          tolerance: String(tolerance),
        },
      );
    }
  }
}
