import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { isOrderEvent, type StoredOrderEvent } from '../contracts/orders.js';
import { paidDigest, returnDigest } from '../contracts/order-keys.js';
import { orderPoints, orderTotal, splitPoints } from './logic/points.js';
import type { PointsRates, TierThresholds } from './logic/tiers.js';
import type { MemberStore, OrderChange } from './member-store.js';
import type { Notifier } from '../platform/notifier.js';
import type { Batch, EventRun, UserRun } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

export interface PointsStageDeps {
  store: MemberStore;
  thresholds: TierThresholds;
  rates: PointsRates;
  notifier: Notifier;
}

/**
 * Orders move points; nothing else does (a browser's `purchase` event is a behaviour signal and
 * earns nothing, whoever sends it). Per `order` event of the batch, before the effects are
 * computed: one `applyOrder` script on the user's order record and member record (idempotent for
 * ever by order status, and for a return by its lines: a redelivery or a replay of the log moves
 * nothing twice), one `acceptOrder` repeat (see `reaccept`), plus one member read per user and
 * batch. Users run side by side, one user's
 * orders in order (a paid order earns at the tier of that moment). Other events cost nothing here.
 *
 * A paid order of a member earns `round-half-away-from-zero(total x rate(tier))`, split over its
 * lines by largest remainder (logic/points.ts `splitPoints`) so a return reverses exactly what its
 * lines earned. Orders of users with no member record are recorded (lifetime value, revenue) and
 * earn nothing. Sets `EventRun.order` (the money the status moved, for lifetime value and revenue)
 * and `EventRun.credit`; pushes `member {type: 'tier_changed'}` when the tier rose.
 */
export class PointsStage implements BatchStage {
  readonly name = 'points';

  constructor(private readonly deps: PointsStageDeps) {}

  async prepare(batch: Batch): Promise<void> {
    await Promise.all(batch.users.map((user) => this.applyUser(user)));
  }

  private async applyUser(user: UserRun): Promise<void> {
    for (const run of user.events) {
      const { event } = run;
      if (!isOrderEvent(event)) continue;
      try {
        await this.apply(user, run, event);
      } catch (error) {
        run.error = error;
        return;
      }
    }
  }

  private async apply(user: UserRun, run: EventRun, event: StoredOrderEvent): Promise<void> {
    const { store, rates, thresholds, notifier } = this.deps;
    const before = await user.member.get();
    let lines: OrderChange['lines'] = event.lines;
    if (event.status === 'paid' && before) {
      const shares = splitPoints(orderPoints(orderTotal(event.lines), before.tier, rates), event.lines);
      lines = event.lines.map((line, i) => ({ ...line, points: shares[i]! }));
    }
    const outcome = await store.applyOrder(
      event.userId,
      { eventId: event.id, orderId: event.orderId, status: event.status, ts: event.ts, lines },
      thresholds,
    );
    await this.reaccept(event);
    // Applied before (a redelivery): the amount is what it moved then, for a user state that missed it.
    run.order = { amount: outcome.amount };
    if (!outcome.member) {
      run.credit = {};
      return;
    }
    user.member.known = outcome.member;
    if (outcome.tierChanged) {
      const { from, to } = outcome.tierChanged;
      const { points, lifetimePoints } = outcome.member;
      notifier.pushToUser(event.userId, { event: 'member', data: { type: 'tier_changed', from, to, points, lifetimePoints } });
    }
    const moved = outcome.applied && before !== undefined && outcome.points !== 0;
    run.credit = { member: outcome.member, ...(moved ? { points: { before: before.points, after: outcome.member.points } } : {}) };
  }

  /**
   * Records the status in the order's intake record again (`acceptOrder`): a repeat of what the
   * gateway's request recorded, so a no-op normally; after a rebuild from the log into an empty
   * Redis it restores the intake record, so later returns and cancellations are checked against
   * it. A conflict here (a log written by other means) changes nothing and is not the event's failure.
   */
  private async reaccept(event: StoredOrderEvent): Promise<void> {
    const { orderId, userId, status, lines } = event;
    try {
      await this.deps.store.acceptOrder({
        orderId,
        userId,
        status,
        lines,
        ...(status === 'returned' ? { returnDigest: returnDigest(lines) } : { paidDigest: paidDigest(lines) }),
      });
    } catch (error) {
      if (!(error instanceof PulseError && error.code === ErrorCodes.orderConflict)) throw error;
    }
  }
}
