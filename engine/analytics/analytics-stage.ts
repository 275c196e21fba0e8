import { isMergeEvent } from '../contracts/schemas.js';
import { isOrderEvent } from '../contracts/orders.js';
import { orderAmountFromLines } from '../members/order-effect.js';
import { eventMessageId } from '../contracts/subjects.js';
import { eventCounters, shopperSnapshot } from './logic/shop-analytics.js';
import type { SegmentThresholds } from '../shoppers/logic/segments.js';
import type { AnalyticsRecord, ShopAnalytics, ShopperSnapshot } from './shop-analytics.js';
import type { Batch, EventRun } from '../stream/pipeline/batch.js';
import { completions } from '../stream/pipeline/completions.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

/**
 * Shop-wide analytics (counters by type, hour and day; each shopper's segment inputs): every
 * applied event's record, folded and written once per batch (one script, idempotent by the batch
 * tag: counters summed per bucket, each shopper's newest snapshot). Duplicates whose batch never
 * wrote are completed one by one under their own event key, from the state as stored. Cost: one
 * snapshot per applied event (~2-5 us) and one EVALSHA per batch.
 */
export class AnalyticsStage implements BatchStage {
  readonly name = 'analytics';
  readonly critical = true;

  constructor(
    private readonly analytics: ShopAnalytics,
    private readonly thresholds: Pick<SegmentThresholds, 'brandLoyalShare' | 'brandLoyalMinEvents'>,
  ) {}

  async afterStore(batch: Batch): Promise<void> {
    const records: AnalyticsRecord[] = [];
    for (const user of batch.users) {
      // One snapshot per user, of the state after the batch: the store keeps the newest anyway.
      let snapshot: ShopperSnapshot | undefined;
      for (const run of user.events) {
        if (run.outcome !== 'applied') continue;
        snapshot ??= shopperSnapshot(user.state, this.thresholds);
        records.push(this.record(run, snapshot));
      }
    }
    // The batch's write starts at once (with the other stages' in one write: EventProcessor.afterStore).
    await Promise.all([
      records.length > 0 ? this.analytics.recordMany(batch.tag, records) : undefined,
      completions(batch, (tag) => this.analytics.wasRecorded(tag)).then((late) =>
        Promise.all(late.map(({ user, run }) => this.analytics.record(this.record(run, shopperSnapshot(user.state, this.thresholds))))),
      ),
    ]);
  }

  private record(run: EventRun, shopper: ShopperSnapshot): AnalyticsRecord {
    const { event } = run;
    const counters = isOrderEvent(event)
      ? { type: 'order' as const, ts: event.ts, total: run.order?.amount ?? orderAmountFromLines(event) }
      : isMergeEvent(event)
        ? undefined
        : eventCounters(event);
    const member = run.credit?.member;
    // Property by property, no spreads of optional parts (two objects of garbage per event): the
    // same keys in the same order as `{ userId, eventKey, ...counters?, shopper, ...memberCreatedAt? }`.
    const record = { userId: event.userId, eventKey: eventMessageId(event.userId, event.id) } as AnalyticsRecord;
    if (counters) record.counters = counters;
    record.shopper = shopper;
    if (member) record.memberCreatedAt = member.createdAt;
    return record;
  }
}
