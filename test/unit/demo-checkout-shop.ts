/**
 * The demo checkout's shop for the gateway tests (demo-checkout-coupon, demo-checkout-retry): a
 * gateway harness whose engine side serves `catalog.get` from a fixed catalog, the coupon handlers
 * over in-memory members, coupons and campaigns, and `orders.accept` as the engine does (through
 * `beforeAccept`, which may throw to fake an engine that did not answer).
 */
import pino from 'pino';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import { OrderSchema, type StoredOrderEvent } from '../../engine/contracts/orders.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { MemoryCouponStore } from '../../engine/members/adapters/memory-coupon-store.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { registerCouponHandlers } from '../../engine/members/coupon-handlers.js';
import { acceptOrder } from '../../engine/members/order-handlers.js';
import { ControllableEventLog, startHarness, type Harness } from './gateway-harness.js';
import { regularMember } from '../helpers/member-records.js';

export interface CheckoutShop {
  h: Harness;
  log: ControllableEventLog;
  members: MemoryMemberStore;
  coupons: MemoryCouponStore;
  campaigns: MemoryCampaignStore;
  byId: Map<string, Item>;
  /** The order events the gateway appended so far. */
  orders(): StoredOrderEvent[];
  /** POST /demo/checkout as the bearer of `token`. */
  checkout(token: string, json: unknown): ReturnType<Harness['fetch']>;
}

export async function startCheckoutShop(catalog: Item[], memberIds: string[], beforeAccept?: () => void): Promise<CheckoutShop> {
  let log: ControllableEventLog | undefined;
  const h = await startHarness({ wrapEventLog: (inner) => (log = new ControllableEventLog(inner)) });
  const members = new MemoryMemberStore();
  const coupons = new MemoryCouponStore(members);
  const campaigns = new MemoryCampaignStore();
  const byId = new Map(catalog.map((item) => [item.itemId, item]));
  for (const memberId of memberIds) await members.create(regularMember(memberId, 1));
  h.transport.rpcServer.serve('catalog.get', async ({ itemId }) => {
    const item = byId.get(itemId);
    if (!item) throw new PulseError(ErrorCodes.notFound, `item ${itemId} not found`);
    return item;
  });
  registerCouponHandlers(h.transport.rpcServer, {
    coupons,
    rewards: [],
    campaigns: { store: campaigns, logger: pino({ level: 'silent' }) },
  });
  h.transport.rpcServer.serve('orders.accept', async ({ order, receivedAt }) => {
    beforeAccept?.();
    return acceptOrder(OrderSchema.parse(order), receivedAt, { members, coupons, catalog: byId, priceTolerance: 0.05 });
  });
  const events = log!;
  return {
    h,
    log: events,
    members,
    coupons,
    campaigns,
    byId,
    orders: () => events.calls.filter((e) => (e as { type: string }).type === 'order') as unknown as StoredOrderEvent[],
    checkout: async (token, json) => h.fetch('/demo/checkout', { method: 'POST', token, json }),
  };
}
