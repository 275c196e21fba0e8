import { orderCause, orderPoints, orderTotal } from '../../logic/points.js';
import type { PointsRates, TierThresholds } from '../../logic/tiers.js';
import type { MemberStore } from '../../ports/member-store.js';
import type { Notifier } from '../../ports/notifier.js';
import type { Batch, EventRun, UserRun } from './batch.js';
import type { BatchStage } from './stage.js';

export interface PointsStageDeps {
  store: MemberStore;
  thresholds: TierThresholds;
  rates: PointsRates;
  notifier: Notifier;
}

/**
 * Members earn points from their purchases, before the effects are computed: the record's tier
 * after the points is stored with the user state, so later pushes rank for it. Per purchase of a
 * member: the record read and one points script (idempotent by event id: a redelivery credits
 * nothing twice). Users run side by side, one user's purchases in order (the rate is the tier's at
 * that moment). Other events cost nothing here. Pushes `member {type: 'tier_changed'}` when the
 * tier rose.
 */
export class PointsStage implements BatchStage {
  readonly name = 'points';

  constructor(private readonly deps: PointsStageDeps) {}

  async prepare(batch: Batch): Promise<void> {
    await Promise.all(batch.users.map((user) => this.creditUser(user)));
  }

  private async creditUser(user: UserRun): Promise<void> {
    for (const run of user.events) {
      if (run.event.type !== 'purchase' || run.marker !== null) continue;
      try {
        await this.credit(user, run);
      } catch (error) {
        run.error = error;
        return;
      }
    }
  }

  private async credit(user: UserRun, run: EventRun): Promise<void> {
    const { event } = run;
    if (event.type !== 'purchase') return;
    const { store, rates, thresholds, notifier } = this.deps;
    const member = user.member.known ?? (await store.get(event.userId));
    if (!member) {
      run.credit = {};
      return;
    }
    const total = orderTotal(event.items);
    const outcome = await store.applyPoints(
      event.userId,
      {
        eventId: event.id,
        ts: event.ts,
        delta: orderPoints(total, member.tier, rates),
        cause: orderCause(total),
        ...(event.orderId !== undefined ? { orderId: event.orderId } : {}),
      },
      thresholds,
    );
    user.member.known = outcome.member;
    if (outcome.tierChanged) {
      const { from, to } = outcome.tierChanged;
      const { points, lifetimePoints } = outcome.member;
      notifier.pushToUser(event.userId, { event: 'member', data: { type: 'tier_changed', from, to, points, lifetimePoints } });
    }
    // The points before are the record read just above: a reward redeemed in between may blur a crossing.
    run.credit = { member: outcome.member, ...(outcome.applied ? { points: { before: member.points, after: outcome.member.points } } : {}) };
  }
}
