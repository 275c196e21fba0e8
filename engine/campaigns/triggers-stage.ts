import type { Logger } from 'pino';
import { isMergeEvent, type StoredEvent } from '../contracts/schemas.js';
import { isOrderEvent } from '../contracts/orders.js';
import type { EngineMetrics } from '../metrics.js';
import type { CampaignTriggers } from './campaign-triggers.js';
import { isLive, type Batch, type EventRun, type UserRun } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

export interface TriggersStageDeps {
  triggers: CampaignTriggers;
  logger: Logger;
  metrics: EngineMetrics;
  pushMaxAgeMs: number;
}

/**
 * Campaign triggers of live shopper events (backlog never triggers), each on the state right
 * after its event. A live duplicate (a redelivery after a stop between storing and offering) runs
 * them again on the state as stored: offers are idempotent by promotion id. Triggers never fail
 * an event: failures are logged and counted. Cost: an in-memory check per event
 * (CampaignTriggers.watches) unless a campaign watches its type.
 */
export class TriggersStage implements BatchStage {
  readonly name = 'triggers';

  constructor(private readonly deps: TriggersStageDeps) {}

  async afterStore(batch: Batch): Promise<void> {
    await Promise.all(batch.users.map((user) => this.runUser(user, batch.now)));
  }

  private async runUser(user: UserRun, now: number): Promise<void> {
    for (const run of user.events) {
      const { event } = run;
      if (!run.outcome || isMergeEvent(event) || !isLive(event, now, this.deps.pushMaxAgeMs)) continue;
      // An order concerns points_reached only, once, when it moved the points; its type matches
      // no event or cart trigger, so it goes through as an event of its own type.
      if (isOrderEvent(event) && (run.outcome !== 'applied' || !run.credit?.points)) continue;
      const shopperEvent = event as StoredEvent;
      // A duplicate re-runs the event and cart triggers only (its points were credited before).
      if (run.outcome === 'duplicate' && !this.deps.triggers.watches(shopperEvent, now)) continue;
      try {
        await this.deps.triggers.afterEvent(
          {
            event: shopperEvent,
            state: stateAfter(run, user),
            member: () => user.member.get(),
            ...(run.credit?.points ? { points: run.credit.points } : {}),
          },
          now,
        );
      } catch (err) {
        this.deps.logger.error({ err, eventId: event.id, userId: event.userId }, 'campaign triggers failed');
        this.deps.metrics.errors.inc({ code: 'trigger_failed' });
      }
    }
  }
}

/** The user's state right after the event: its effect's, or (a duplicate) the state as stored. */
function stateAfter(run: EventRun, user: UserRun) {
  return run.outcome === 'applied' && run.effect ? run.effect.next : user.state;
}
